{#-
    The true counts behind mart_evenredig_bereik, with the cell key of each count (macro ckm_telling): the input
    of the cell key method, never published. Lives in the monitoring database (INSZ-free, like the dataset it counts)
    so the mart and the measured information loss (ckm_informatieverlies) read the same counts. What is counted and
    the grain: see mart_evenredig_bereik. Every nationality of the code list has a row in every wave (count 0 when
    nobody has it), so that a row’s existence says nothing about whether someone of that nationality came.
-#}
with

dataset as (
    {{ ckm_personen() }}
),

personen as (
    select
        dataset.golf,
        dataset.oudste_nationaliteit,
        dataset.recordsleutel,
        coalesce(dataset.eerste_inschrijving is not null, false) as bereikt
    from dataset
),

per_dimensie as (
    {{ mart_per_dimensie('personen', {'oudste_nationaliteit': 'personen.oudste_nationaliteit'}) }}
),

geteld as (
    select
        per_dimensie.golf,
        per_dimensie.dimensie,
        per_dimensie.waarde,
        {{ ckm_telling('aantal_nieuwkomers') }},
        {{ ckm_telling('aantal_bereikt', 'per_dimensie.bereikt') }}
    from per_dimensie
    group by per_dimensie.golf, per_dimensie.dimensie, per_dimensie.waarde
),

golven as (
    select distinct personen.golf
    from personen
),

nationaliteiten as (
    select kbi_codes.code
    from {{ ref('kbi_codes') }} as kbi_codes
    where kbi_codes.kenmerk = 'oudste_nationaliteit'
    union
    select 'onbekend' as code
),

-- The full grid: every code of the nationality code list (and `onbekend`) in every wave, besides what was counted.
rooster as (
    select
        geteld.golf,
        geteld.dimensie,
        geteld.waarde
    from geteld
    union
    select
        golven.golf,
        'oudste_nationaliteit' as dimensie,
        nationaliteiten.code as waarde
    from golven
    cross join nationaliteiten
)

select
    rooster.golf,
    rooster.dimensie,
    rooster.waarde,
    coalesce(geteld.aantal_nieuwkomers, 0) as aantal_nieuwkomers,
    coalesce(geteld.aantal_nieuwkomers_celsleutel, 0) as aantal_nieuwkomers_celsleutel,
    coalesce(geteld.aantal_bereikt, 0) as aantal_bereikt,
    coalesce(geteld.aantal_bereikt_celsleutel, 0) as aantal_bereikt_celsleutel
from rooster
left join geteld
    on
        rooster.golf = geteld.golf
        and rooster.dimensie = geteld.dimensie
        and rooster.waarde = geteld.waarde

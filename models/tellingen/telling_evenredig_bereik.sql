{#-
    The true counts behind mart_evenredig_bereik, with the cell key of each count (macro ckm_telling): the input
    of the cell key method, never published. Lives in the monitoring database (INSZ-free, like the dataset it counts)
    so the mart and the measured information loss (ckm_informatieverlies) read the same counts. What is counted and
    the grain: see mart_evenredig_bereik.
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
)

select
    per_dimensie.golf,
    per_dimensie.dimensie,
    per_dimensie.waarde,
    {{ ckm_telling('aantal_nieuwkomers') }},
    {{ ckm_telling('aantal_bereikt', 'per_dimensie.bereikt') }}
from per_dimensie
group by per_dimensie.golf, per_dimensie.dimensie, per_dimensie.waarde

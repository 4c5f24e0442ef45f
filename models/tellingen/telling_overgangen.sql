{#-
    The true counts behind mart_overgangen, with the cell key of each count (macro ckm_telling): the input
    of the cell key method, never published. Lives in the monitoring database (INSZ-free, like the dataset it counts)
    so the mart and the measured information loss (ckm_informatieverlies) read the same counts. What is counted and
    the grain: see mart_overgangen.
-#}
with

golven as (
    select
        historiek.golf,
        row_number() over (order by historiek.golf) as volgnummer
    from (select distinct historiek.golf from {{ ref('golf_historiek') }} as historiek) as historiek
),

personen as (
    select
        historiek.golf,
        sleutels.recordsleutel,
        {{ mart_toestand('historiek.vorige_gekend_bij_vdab', 'historiek.vorige_status_dienstverlening',
            'historiek.vorige_uitgestroomd_naar_werk') }} as toestand_vorige,
        {{ mart_toestand('historiek.gekend_bij_vdab', 'historiek.status_dienstverlening',
            'historiek.uitgestroomd_naar_werk') }} as toestand_huidig
    from {{ ref('golf_historiek') }} as historiek
    inner join {{ ref('recordsleutels') }} as sleutels
        on historiek.pseudoniem = sleutels.pseudoniem
    inner join golven as huidige
        on historiek.golf = huidige.golf
    inner join golven as vorige
        on historiek.vorige_golf = vorige.golf
    where vorige.volgnummer = huidige.volgnummer - 1
),

marges as (
    select
        personen.golf,
        personen.recordsleutel,
        personen.toestand_vorige,
        personen.toestand_huidig
    from personen
    union all
    select
        personen.golf,
        personen.recordsleutel,
        personen.toestand_vorige,
        'totaal' as toestand_huidig
    from personen
),

geteld as (
    select
        marges.golf,
        marges.toestand_vorige,
        marges.toestand_huidig,
        {{ ckm_telling('aantal_personen', recordsleutel='marges.recordsleutel') }}
    from marges
    group by marges.golf, marges.toestand_vorige, marges.toestand_huidig
),

toestanden as (
    select
        personen.golf,
        personen.toestand_vorige as toestand
    from personen
    union
    select
        personen.golf,
        personen.toestand_huidig as toestand
    from personen
)

select
    vorige.golf,
    vorige.toestand as toestand_vorige,
    huidige.toestand_huidig,
    coalesce(geteld.aantal_personen, 0) as aantal_personen,
    coalesce(geteld.aantal_personen_celsleutel, 0) as aantal_personen_celsleutel
from toestanden as vorige
inner join (
    select
        toestanden.golf,
        toestanden.toestand as toestand_huidig
    from toestanden
    union all
    select distinct
        toestanden.golf,
        'totaal' as toestand_huidig
    from toestanden
) as huidige
    on vorige.golf = huidige.golf
left join geteld
    on
        vorige.golf = geteld.golf
        and vorige.toestand = geteld.toestand_vorige
        and huidige.toestand_huidig = geteld.toestand_huidig

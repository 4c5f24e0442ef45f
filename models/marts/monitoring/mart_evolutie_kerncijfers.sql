{#-
    The headline indicators of the third pillar per wave, for the evolution over the protocol's five years (art. 3:
    "vergelijkingen tussen de verschillende metingen"). Grain: one row per golf x indicator. Each indicator is the
    `totaal` row of its mart, computed the same way and protected by the same primary rule, so the figures agree.
-#}
with

personen as (
    select
        dataset.golf,
        dataset.eerste_inschrijving is not null as ingeschreven,
        dataset.datum_inburgeringscontract is not null
        and {{ dbt.dateadd('day', 60, 'dataset.datum_inburgeringscontract') }} <= dataset.peildatum
            as contract_60_dagen_verstreken,
        dataset.eerste_inschrijving <= {{ dbt.dateadd('day', 60, 'dataset.datum_inburgeringscontract') }}
            as ingeschreven_binnen_60_dagen,
        dataset.uitstroom_naar_werk_binnen_6_maanden,
        dataset.uitstroom_naar_werk_binnen_12_maanden
    from {{ ref('gepseudonimiseerde_dataset') }} as dataset
),

indicatoren as (
    select
        personen.golf,
        'bereikt door VDAB' as indicator,
        count(*) filter (where personen.ingeschreven) as aantal_teller,
        count(*) as aantal_noemer
    from personen
    group by personen.golf
    union all
    select
        personen.golf,
        'ingeschreven binnen 60 dagen na het inburgeringscontract' as indicator,
        count(*) filter (where personen.contract_60_dagen_verstreken and personen.ingeschreven_binnen_60_dagen)
            as aantal_teller,
        count(*) filter (where personen.contract_60_dagen_verstreken) as aantal_noemer
    from personen
    group by personen.golf
    union all
    select
        personen.golf,
        'uitstroom naar werk binnen 6 maanden' as indicator,
        count(*) filter (where personen.ingeschreven and personen.uitstroom_naar_werk_binnen_6_maanden)
            as aantal_teller,
        count(*) filter (where personen.ingeschreven and personen.uitstroom_naar_werk_binnen_6_maanden is not null)
            as aantal_noemer
    from personen
    group by personen.golf
    union all
    select
        personen.golf,
        'uitstroom naar werk binnen 12 maanden' as indicator,
        count(*) filter (where personen.ingeschreven and personen.uitstroom_naar_werk_binnen_12_maanden)
            as aantal_teller,
        count(*) filter (where personen.ingeschreven and personen.uitstroom_naar_werk_binnen_12_maanden is not null)
            as aantal_noemer
    from personen
    group by personen.golf
),

telling as (
    select
        indicatoren.golf,
        indicatoren.indicator,
        indicatoren.aantal_teller,
        indicatoren.aantal_noemer,
        round(100.0 * indicatoren.aantal_teller / nullif(indicatoren.aantal_noemer, 0), 1) as percentage
    from indicatoren
),

{{ disclosure_control(
    'telling',
    sleutel=['golf', 'indicator'],
    groeperingen=[],
    aantallen=['aantal_teller', 'aantal_noemer'],
    deel_van={'aantal_teller': 'aantal_noemer'},
    afgeleid={'percentage': ['aantal_teller', 'aantal_noemer']},
) }}

select
    cast(sdc_resultaat.golf as varchar) as golf,
    cast(sdc_resultaat.indicator as varchar) as indicator,
    cast(sdc_resultaat.aantal_teller as bigint) as aantal_teller,
    sdc_resultaat.aantal_teller_onderdrukt,
    cast(sdc_resultaat.aantal_noemer as bigint) as aantal_noemer,
    sdc_resultaat.aantal_noemer_onderdrukt,
    cast(sdc_resultaat.percentage as double) as percentage
from sdc_resultaat

{#-
    Registration at VDAB within 60 days of the integration contract (the third pillar, art. 2 and 3).
    Grain: one row per golf x dimensie x waarde (dimensie `totaal`, `cohort` = contract half-year, and every profile
    attribute one at a time). Population: newcomers with an integration contract whose 60 days had passed on the
    peildatum, so a recent contract is not counted as a missed registration.
-#}
{%- set dimensies = mart_profiel_dimensies('personen') -%}
{%- do dimensies.update({'cohort': mart_halfjaar('personen.datum_inburgeringscontract')}) -%}

with

personen as (
    select
        dataset.golf,
        dataset.peildatum,
        dataset.datum_inburgeringscontract,
        {%- for kolom in mart_profieldimensies() %}
            dataset.{{ kolom }},
        {%- endfor %}
        dataset.eerste_inschrijving is not null as ingeschreven,
        dataset.eerste_inschrijving <= {{ dbt.dateadd('day', 60, 'dataset.datum_inburgeringscontract') }}
            as ingeschreven_binnen_60_dagen,
        -- Already registered before the contract counts as 0 days: the obligation was met on signing. (greatest()
        -- ignores NULL in DuckDB, hence the explicit case for the unregistered.)
        case
            when dataset.eerste_inschrijving is not null
                then greatest(
                    {{ dbt.datediff('dataset.datum_inburgeringscontract', 'dataset.eerste_inschrijving', 'day') }}, 0
                )
        end as dagen_tot_inschrijving
    from {{ ref('gepseudonimiseerde_dataset') }} as dataset
    where
        dataset.datum_inburgeringscontract is not null
        and {{ dbt.dateadd('day', 60, 'dataset.datum_inburgeringscontract') }} <= dataset.peildatum
),

per_dimensie as (
    {{ mart_per_dimensie('personen', dimensies) }}
),

telling as (
    select
        per_dimensie.golf,
        per_dimensie.dimensie,
        per_dimensie.waarde,
        count(*) as aantal_nieuwkomers,
        count(*) filter (where per_dimensie.ingeschreven) as aantal_ingeschreven,
        count(*) filter (where per_dimensie.ingeschreven_binnen_60_dagen) as aantal_ingeschreven_binnen_60_dagen,
        round(
            100.0 * count(*) filter (where per_dimensie.ingeschreven_binnen_60_dagen) / count(*), 1
        ) as percentage_ingeschreven_binnen_60_dagen,
        percentile_cont(0.5) within group (
            order by per_dimensie.dagen_tot_inschrijving
        ) as mediaan_dagen_tot_inschrijving
    from per_dimensie
    group by per_dimensie.golf, per_dimensie.dimensie, per_dimensie.waarde
),

{{ disclosure_control(
    'telling',
    sleutel=['golf', 'dimensie', 'waarde'],
    groeperingen=[{'per': ['golf', 'dimensie'], 'marge': {'dimensie': "'totaal'", 'waarde': "'totaal'"}}],
    aantallen=['aantal_nieuwkomers', 'aantal_ingeschreven', 'aantal_ingeschreven_binnen_60_dagen'],
    deel_van={
        'aantal_ingeschreven': 'aantal_nieuwkomers',
        'aantal_ingeschreven_binnen_60_dagen': 'aantal_ingeschreven',
    },
    afgeleid={
        'percentage_ingeschreven_binnen_60_dagen': ['aantal_ingeschreven_binnen_60_dagen', 'aantal_nieuwkomers'],
        'mediaan_dagen_tot_inschrijving': ['aantal_ingeschreven'],
    },
) }}

select
    cast(sdc_resultaat.golf as varchar) as golf,
    cast(sdc_resultaat.dimensie as varchar) as dimensie,
    cast(sdc_resultaat.waarde as varchar) as waarde,
    cast(sdc_resultaat.aantal_nieuwkomers as bigint) as aantal_nieuwkomers,
    sdc_resultaat.aantal_nieuwkomers_onderdrukt,
    cast(sdc_resultaat.aantal_ingeschreven as bigint) as aantal_ingeschreven,
    sdc_resultaat.aantal_ingeschreven_onderdrukt,
    cast(sdc_resultaat.aantal_ingeschreven_binnen_60_dagen as bigint) as aantal_ingeschreven_binnen_60_dagen,
    sdc_resultaat.aantal_ingeschreven_binnen_60_dagen_onderdrukt,
    cast(sdc_resultaat.percentage_ingeschreven_binnen_60_dagen as double) as percentage_ingeschreven_binnen_60_dagen,
    cast(sdc_resultaat.mediaan_dagen_tot_inschrijving as double) as mediaan_dagen_tot_inschrijving
from sdc_resultaat

{#-
    The true counts behind mart_inschrijving_vdab, with the cell key of each count (macro ckm_telling): the input
    of the cell key method, never published. Lives in the monitoring database (INSZ-free, like the dataset it counts)
    so the mart and the measured information loss (ckm_informatieverlies) read the same counts. What is counted and
    the grain: see mart_inschrijving_vdab.
-#}
{%- set dimensies = mart_profiel_dimensies('personen') -%}
{%- do dimensies.update({'cohort': mart_halfjaar('personen.datum_inburgeringscontract')}) -%}

with

dataset as (
    {{ ckm_personen() }}
),

personen as (
    select
        dataset.golf,
        dataset.datum_inburgeringscontract,
        {%- for kolom in mart_profieldimensies() %}
            dataset.{{ kolom }},
        {%- endfor %}
        dataset.recordsleutel,
        coalesce(
            dataset.datum_inburgeringscontract is not null
            and {{ dbt.dateadd('day', 60, 'dataset.datum_inburgeringscontract') }} <= dataset.peildatum,
            false
        ) as in_populatie,
        dataset.eerste_inschrijving is not null as ingeschreven,
        coalesce(
            dataset.eerste_inschrijving <= {{ dbt.dateadd('day', 60, 'dataset.datum_inburgeringscontract') }}, false
        ) as ingeschreven_binnen_60_dagen,
        -- Already registered before the contract counts as 0 days: the obligation was met on signing. (greatest()
        -- ignores NULL in DuckDB, hence the explicit case for the unregistered.)
        case
            when dataset.eerste_inschrijving is not null
                then greatest(
                    {{ dbt.datediff('dataset.datum_inburgeringscontract', 'dataset.eerste_inschrijving', 'day') }}, 0
                )
        end as dagen_tot_inschrijving
    from dataset
),

-- Every newcomer of the wave, so that every profile value of the wave has a row, also where nobody of the
-- population has it (a missing row would publish a zero).
per_dimensie as (
    {{ mart_per_dimensie('personen', dimensies) }}
)

select
    per_dimensie.golf,
    per_dimensie.dimensie,
    per_dimensie.waarde,
    {{ ckm_telling('aantal_nieuwkomers', 'per_dimensie.in_populatie') }},
    {{ ckm_telling('aantal_ingeschreven', 'per_dimensie.in_populatie and per_dimensie.ingeschreven') }},
    {{ ckm_telling(
        'aantal_ingeschreven_binnen_60_dagen',
        'per_dimensie.in_populatie and per_dimensie.ingeschreven_binnen_60_dagen'
    ) }},
    percentile_cont(0.5) within group (
        order by case when per_dimensie.in_populatie then per_dimensie.dagen_tot_inschrijving end
    ) as mediaan_dagen_tot_inschrijving
from per_dimensie
group by per_dimensie.golf, per_dimensie.dimensie, per_dimensie.waarde

{{
    config(
        materialized='incremental', unique_key='golf', incremental_strategy='delete+insert', on_schema_change='fail'
    )
}}
{#-
    The waves in the BI file with their reference date and the contract period they cover, so a BI user can tell what
    `golf` means without the protocol. Grain: one row per golf. Incremental: a wave keeps the time it was first built
    here when later waves are added (a restarted wave is rebuilt and gets a new time); the retention purge deletes a
    wave's row like every table with a `golf` column.
-#}
with

golven as (
    select
        dataset.golf,
        min(dataset.peildatum) as peildatum,
        min({{ mart_halfjaar('dataset.datum_inburgeringscontract') }}) as eerste_cohort,
        max({{ mart_halfjaar('dataset.datum_inburgeringscontract') }}) as laatste_cohort
    from {{ ref('gepseudonimiseerde_dataset') }} as dataset
    {%- if is_incremental() %}
        where dataset.golf = '{{ var("golf") }}'
    {%- endif %}
    group by dataset.golf
)

select
    cast(golven.golf as varchar) as golf,
    cast(golven.peildatum as date) as peildatum,
    -- The third pillar applies to contracts signed from 1 March 2022 (the request's population rule).
    cast('2022-03-01' as date) as contract_vanaf,
    cast(golven.peildatum as date) as contract_tot_en_met,
    cast(golven.eerste_cohort as varchar) as eerste_cohort,
    cast(golven.laatste_cohort as varchar) as laatste_cohort,
    cast(current_timestamp as timestamp) as gebouwd_op
from golven

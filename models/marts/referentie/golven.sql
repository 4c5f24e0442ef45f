{{
    config(
        materialized='incremental', unique_key='golf', incremental_strategy='delete+insert', on_schema_change='fail'
    )
}}
{#-
    The waves in the BI file with their reference date and the contract period they cover, so a BI user can tell what
    `golf` means without the protocol. Grain: one row per golf. Incremental: a wave keeps the time it was first built
    here when later waves are added; the retention purge deletes a wave’s row like every table with a `golf` column.
    `gebouwd_op` changes only when the wave’s data was built again: the wave’s own build (also after a restart) passes
    that moment in PIJLER3_GOLF_GEBOUWD_OP; any other rebuild (an analyst’s `dbt build`) keeps the time already there.
-#}
{%- set gebouwd_op = env_var('PIJLER3_GOLF_GEBOUWD_OP', '') -%}
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
),

eerder_gebouwd as (
    {%- if is_incremental() %}
        select
            vorige.golf,
            vorige.gebouwd_op
        from {{ this }} as vorige
    {%- else %}
        select
            cast(null as varchar) as golf,
            cast(null as timestamp) as gebouwd_op
        where false
    {%- endif %}
)

select
    cast(golven.golf as varchar) as golf,
    cast(golven.peildatum as date) as peildatum,
    -- The third pillar applies to contracts signed from 1 March 2022 (the request’s population rule).
    cast('2022-03-01' as date) as contract_vanaf,
    cast(golven.peildatum as date) as contract_tot_en_met,
    cast(golven.eerste_cohort as varchar) as eerste_cohort,
    cast(golven.laatste_cohort as varchar) as laatste_cohort,
    {%- if gebouwd_op %}
        cast('{{ gebouwd_op }}' as timestamp) as gebouwd_op
    {%- else %}
        coalesce(eerder_gebouwd.gebouwd_op, cast(current_timestamp as timestamp)) as gebouwd_op
    {%- endif %}
from golven
left join eerder_gebouwd on golven.golf = eerder_gebouwd.golf

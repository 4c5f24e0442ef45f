{#-
    The contract cohorts (dimensie `cohort`): which contract dates each half-year covers. Grain: one row per cohort.
    The first cohort starts on 1 March 2022, when the third pillar took effect.
-#}
with

cohorten as (
    select distinct {{ mart_halfjaar('dataset.datum_inburgeringscontract') }} as cohort
    from {{ ref('gepseudonimiseerde_dataset') }} as dataset
    where dataset.datum_inburgeringscontract is not null
),

begrensd as (
    select
        cohorten.cohort,
        make_date(
            cast(left(cohorten.cohort, 4) as integer), case when right(cohorten.cohort, 2) = 'S1' then 1 else 7 end, 1
        ) as begin_halfjaar
    from cohorten
)

select
    cast(begrensd.cohort as varchar) as cohort,
    cast(greatest(begrensd.begin_halfjaar, cast('2022-03-01' as date)) as date) as contract_vanaf,
    cast(begrensd.begin_halfjaar + interval 6 month - interval 1 day as date) as contract_tot_en_met
from begrensd

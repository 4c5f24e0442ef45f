{#- The p-table (seed ptable) against the parameters in dbt_project.yml: every row has each of the 256 cell keys once
    (its probabilities sum to 1), the noise is unbiased, never exceeds ckm_max_afwijking, never lands on
    1 … sdc_drempel - 1 or below 0, and has variance ckm_variantie for every count of at least sdc_drempel; the rows
    run from 0 without a gap. Returns one row per broken property. -#}
{%- set drempel = ckm_drempel() -%}
{%- set max_afwijking = var('ckm_max_afwijking') | int -%}
{%- set kwadraatsom = (var('ckm_variantie') | float) * 256 -%}

with

rijen as (
    select
        ptable.pcv,
        count(*) as aantal_sleutels,
        count(distinct ptable.ckey) as verschillende_sleutels,
        sum(ptable.pvalue) as som_ruis,
        sum(ptable.pvalue * ptable.pvalue) as kwadraatsom_ruis,
        max(abs(ptable.pvalue)) as grootste_ruis,
        count(*) filter (
            where ptable.pcv + ptable.pvalue < 0 or ptable.pcv + ptable.pvalue between 1 and {{ drempel - 1 }}
        ) as verboden_uitkomsten
    from {{ ref('ptable') }} as ptable
    group by ptable.pcv
),

fouten as (
    select
        rijen.pcv,
        'niet elke celsleutel 0 … 255 precies één keer' as probleem
    from rijen
    where rijen.aantal_sleutels != 256 or rijen.verschillende_sleutels != 256
    union all
    select
        rijen.pcv,
        'ruis niet zuiver (som over de 256 sleutels is niet 0)' as probleem
    from rijen
    where rijen.som_ruis != 0
    union all
    select
        rijen.pcv,
        'ruis groter dan ckm_max_afwijking' as probleem
    from rijen
    where rijen.grootste_ruis > {{ max_afwijking }}
    union all
    select
        rijen.pcv,
        'uitkomst onder 0 of in 1 … sdc_drempel - 1' as probleem
    from rijen
    where rijen.verboden_uitkomsten > 0
    union all
    select
        rijen.pcv,
        'variantie verschilt van ckm_variantie' as probleem
    from rijen
    where rijen.pcv >= {{ drempel }} and rijen.kwadraatsom_ruis != {{ kwadraatsom }}
    union all
    select
        -1 as pcv,
        'rijen lopen niet zonder gat van 0 tot de laatste' as probleem
    from rijen
    having min(rijen.pcv) != 0 or max(rijen.pcv) != count(*) - 1
)

select
    fouten.pcv,
    fouten.probleem
from fouten

{{ config(materialized=wave_materialisatie('table')) }}
-- The p-table as the cell key method reads it: for every row (pcv) and every cell key 0 … 255 the noise, after the
-- secret step (macro ptabel_sleutel: a keyed permutation of the cell keys per row, under the agencies’ key). The
-- public seed `ptable` gives its keys to the noise values in increasing order; cell keys add up over a partition, so
-- with the public order an attacker narrows counts from the published values (tests/test_cell_key_method.py). Here
-- each row holds exactly the same noise values as the public row, only which cell key gets which is secret. Grain:
-- one row per pcv x celsleutel. Deterministic: a rebuild with the same key gives the same table, so the same cell
-- keeps its published value in every wave. Stays in the monitoring database like the record keys.
with

publiek as (
    select
        ptable.pcv,
        ptable.ckey,
        ptable.pvalue
    from {{ ref('ptable') }} as ptable
)

select
    cast(cellen.pcv as integer) as pcv,
    cast(cellen.ckey as integer) as celsleutel,
    cast(publiek.pvalue as integer) as pvalue
from publiek as cellen
inner join publiek
    on
        cellen.pcv = publiek.pcv
        and {{ ptabel_sleutel('cellen.pcv', 'cellen.ckey') }} = publiek.ckey

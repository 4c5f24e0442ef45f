-- The secret record key of every person for the cell key method that protects the BI marts (macro
-- cell_key_perturbation): an integer 0 … 255, HMAC-SHA-256 of the person's first pseudonym under the agencies' key
-- (macro recordsleutel). Grain: one row per pseudonym ever seen. Insert-only: a key once given never changes, so a
-- rebuilt or later wave perturbs the same population in the same way. A person whose bis number was replaced by a
-- register number keeps the key of the pseudonym they were first seen under (pseudoniem_vervangingen, up to two
-- steps back like golf_historiek). The keys stay in the monitoring database: they are not in the dataset shared with
-- VDAB nor in the BI file (tests/test_cell_key_method.py checks both), because whoever knows them can undo the noise.
{{ config(materialized=wave_materialisatie('incremental'), incremental_strategy='append') }}

with

bestaand as (
    {%- if is_incremental() %}
        select vorige.pseudoniem from {{ this }} as vorige
    {%- else %}
        select cast(null as varchar) as pseudoniem
        where false
    {%- endif %}
),

nieuw as (
    select distinct dataset.pseudoniem
    from {{ ref('gepseudonimiseerde_dataset') }} as dataset
    left join bestaand
        on dataset.pseudoniem = bestaand.pseudoniem
    where dataset.golf = '{{ var("golf") }}' and bestaand.pseudoniem is null
),

oorsprong as (
    select
        nieuw.pseudoniem,
        min(coalesce(tweede.oud_pseudoniem, eerste.oud_pseudoniem, nieuw.pseudoniem)) as eerste_pseudoniem
    from nieuw
    left join {{ ref('pseudoniem_vervangingen') }} as eerste
        on nieuw.pseudoniem = eerste.nieuw_pseudoniem
    left join {{ ref('pseudoniem_vervangingen') }} as tweede
        on
            eerste.oud_pseudoniem = tweede.nieuw_pseudoniem
            and nieuw.pseudoniem != tweede.oud_pseudoniem
    group by nieuw.pseudoniem
)

select
    cast(oorsprong.pseudoniem as varchar) as pseudoniem,
    cast({{ recordsleutel('oorsprong.eerste_pseudoniem') }} as integer) as recordsleutel,
    cast('{{ var("golf") }}' as varchar) as toegekend_in_golf
from oorsprong

-- The service status valid on the reference date, by the period rule of macro periode_op_peildatum (inclusive end;
-- the period that started last wins, then the lowest code).
with

geldig_op_peildatum as (
    {{ periode_op_peildatum(ref('stg_vdab__dienstverlening_historiek'), 'status_dienstverlening_code') }}
)

select
    geldig_op_peildatum.insz,
    geldig_op_peildatum.status_dienstverlening_code as status_dienstverlening
from geldig_op_peildatum
where geldig_op_peildatum.volgorde = 1

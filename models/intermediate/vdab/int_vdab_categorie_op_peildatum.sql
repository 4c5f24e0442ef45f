-- The job-seeker category valid on the reference date, by the period rule of macro periode_op_peildatum (inclusive
-- end; the period that started last wins, then the lowest code).
with

geldig_op_peildatum as (
    {{ periode_op_peildatum(ref('stg_vdab__categorie_historiek'), 'categorie_code') }}
),

codelijst as (
    select
        codes.code,
        codes.omschrijving
    from {{ ref('vdab_codes') }} as codes
    where codes.kenmerk = 'categorie_werkzoekende'
)

select
    geldig_op_peildatum.insz,
    geldig_op_peildatum.categorie_code as huidige_categorie_werkzoekende,
    codelijst.omschrijving as huidige_categorie_werkzoekende_omschrijving
from geldig_op_peildatum
left join codelijst
    on geldig_op_peildatum.categorie_code = codelijst.code
where geldig_op_peildatum.volgorde = 1

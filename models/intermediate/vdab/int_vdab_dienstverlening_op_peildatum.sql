-- The service status valid on the reference date, with the same period rules as int_vdab_categorie_op_peildatum
-- (inclusive end; the period that started last wins, then the lowest code).
{%- set peildatum = "cast('" ~ var('peildatum') ~ "' as date)" %}

with

geldig_op_peildatum as (
    select
        koppeling.insz,
        dienstverlening.status_dienstverlening_code,
        row_number() over (
            partition by koppeling.insz
            order by dienstverlening.geldig_van desc, dienstverlening.status_dienstverlening_code asc
        ) as volgorde
    from {{ ref('int_vdab_klanten_gekoppeld') }} as koppeling
    inner join {{ ref('stg_vdab__dienstverlening_historiek') }} as dienstverlening
        on koppeling.klant_id = dienstverlening.klant_id
    where
        dienstverlening.status_dienstverlening_code is not null
        and dienstverlening.geldig_van <= {{ peildatum }}
        and (dienstverlening.geldig_tot is null or dienstverlening.geldig_tot >= {{ peildatum }})
)

select
    geldig_op_peildatum.insz,
    geldig_op_peildatum.status_dienstverlening_code as status_dienstverlening
from geldig_op_peildatum
where geldig_op_peildatum.volgorde = 1

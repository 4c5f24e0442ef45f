-- Every replaced INSZ mapped to the number the person carries on the reference date. A newcomer usually goes from a bis
-- number to a register number in one step; a second step (bis -> bis -> register) is followed too, longer chains are
-- reported by a test. Only replacements dated on or before the reference date count (an undated one counts: the
-- replacement is a fact about the person, its missing date is reported by staging), so a rebuilt wave is unchanged.
-- No recursive CTE: dbt cannot unit-test recursive SQL.
{%- set peildatum = "cast('" ~ var('peildatum') ~ "' as date)" %}

with

geldig as (
    select
        vervangingen.oud_insz,
        vervangingen.nieuw_insz,
        row_number() over (
            partition by vervangingen.oud_insz
            order by vervangingen.datum_vervanging desc nulls last, vervangingen.nieuw_insz asc
        ) as volgorde
    from {{ ref('stg_kbi__insz_vervangingen') }} as vervangingen
    where
        vervangingen.oud_insz is not null
        and vervangingen.nieuw_insz is not null
        and vervangingen.oud_insz != vervangingen.nieuw_insz
        and (vervangingen.datum_vervanging is null or vervangingen.datum_vervanging <= {{ peildatum }})
),

laatste as (
    select
        geldig.oud_insz,
        geldig.nieuw_insz
    from geldig
    where geldig.volgorde = 1
)

select
    eerste_stap.oud_insz,
    coalesce(tweede_stap.nieuw_insz, eerste_stap.nieuw_insz) as actueel_insz
from laatste as eerste_stap
left join laatste as tweede_stap
    on
        eerste_stap.nieuw_insz = tweede_stap.oud_insz
        and eerste_stap.oud_insz != tweede_stap.nieuw_insz

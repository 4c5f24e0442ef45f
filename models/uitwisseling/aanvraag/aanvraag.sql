-- The request file the agencies send VDAB: the monitoring population on the reference date, as valid INSZ numbers only
-- (art. 3: VDAB receives the INSZ and nothing else). A person who got a register number in place of a bis number is
-- asked under the current number, once.
{%- set peildatum = "cast('" ~ var('peildatum') ~ "' as date)" %}

with

populatie as (
    select personen.insz
    from {{ ref('stg_kbi__personen') }} as personen
    where
        personen.insz is not null
        -- the obligation to register with VDAB (the third pillar) applies to contracts from 1 March 2022
        and personen.datum_inburgeringscontract >= cast('2022-03-01' as date)
        and personen.datum_inburgeringscontract <= {{ peildatum }}
)

select distinct coalesce(vervangingen.actueel_insz, populatie.insz) as insz
from populatie
left join {{ ref('int_insz_vervangingen_opgelost') }} as vervangingen
    on populatie.insz = vervangingen.oud_insz

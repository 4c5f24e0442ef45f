-- First and most recent registration per requested INSZ, over all its client records, counting only registrations
-- that started on or before the reference date.
{%- set peildatum = "cast('" ~ var('peildatum') ~ "' as date)" %}

select
    koppeling.insz,
    min(inschrijvingen.inschrijvingsdatum) as eerste_inschrijving,
    max(inschrijvingen.inschrijvingsdatum) as meest_recente_inschrijving
from {{ ref('int_vdab_klanten_gekoppeld') }} as koppeling
inner join {{ ref('stg_vdab__inschrijvingen') }} as inschrijvingen
    on koppeling.klant_id = inschrijvingen.klant_id
where inschrijvingen.inschrijvingsdatum <= {{ peildatum }}
group by koppeling.insz

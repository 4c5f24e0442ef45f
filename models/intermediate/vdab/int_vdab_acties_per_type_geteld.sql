-- Per requested INSZ and protocol action type: how many actions started on or before the reference date and the first
-- start. An action still running on that date counts; one that starts after it does not exist yet for this wave.
{%- set peildatum = "cast('" ~ var('peildatum') ~ "' as date)" %}

select
    koppeling.insz,
    {% for actietype in vdab_actietypen() %}
        count(distinct case when acties.actietype_code = '{{ actietype }}' then acties.actie_id end)
            as aantal_acties_{{ actietype }},
        min(case when acties.actietype_code = '{{ actietype }}' then acties.startdatum end)
            as eerste_start_actie_{{ actietype }}{% if not loop.last %},{% endif %}
    {% endfor %}
from {{ ref('int_vdab_klanten_gekoppeld') }} as koppeling
inner join {{ ref('stg_vdab__acties') }} as acties
    on koppeling.klant_id = acties.klant_id
where
    acties.startdatum <= {{ peildatum }}
    and acties.actietype_code in ({{ "'" ~ vdab_actietypen() | join("', '") ~ "'" }})
group by koppeling.insz

-- Outflow to work per registered INSZ: the first start of work on or after the first registration (work before it is
-- not outflow), and whether it fell within 6 and 12 months of that registration. Without work a flag stays NULL while
-- its window has not closed on the reference date: "no work yet" is not "no work within 12 months". Work inside a
-- window still open already makes it true, so a rate must take its denominator from the closed windows
-- (mart_uitstroom_werk).
{%- set peildatum = "cast('" ~ var('peildatum') ~ "' as date)" %}

with

eerste_werk as (
    select
        inschrijvingen.insz,
        min(werk.startdatum_werk) as uitstroom_naar_werk
    from {{ ref('int_vdab_inschrijvingen_samengevat') }} as inschrijvingen
    inner join {{ ref('int_vdab_klanten_gekoppeld') }} as koppeling
        on inschrijvingen.insz = koppeling.insz
    inner join {{ ref('stg_vdab__werkhervattingen') }} as werk
        on koppeling.klant_id = werk.klant_id
    where
        werk.startdatum_werk >= inschrijvingen.eerste_inschrijving
        and werk.startdatum_werk <= {{ peildatum }}
    group by inschrijvingen.insz
)

select
    inschrijvingen.insz,
    eerste_werk.uitstroom_naar_werk,
    {% for maanden in [6, 12] %}
        {%- set einde_venster = dbt.dateadd('month', maanden, 'inschrijvingen.eerste_inschrijving') %}
        case
            when eerste_werk.uitstroom_naar_werk <= {{ einde_venster }} then true
            when {{ einde_venster }} <= {{ peildatum }} then false
        end as uitstroom_naar_werk_binnen_{{ maanden }}_maanden{% if not loop.last %},{% endif %}
    {% endfor %}
from {{ ref('int_vdab_inschrijvingen_samengevat') }} as inschrijvingen
left join eerste_werk
    on inschrijvingen.insz = eerste_werk.insz

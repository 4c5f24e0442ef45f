{#-
    VDAB's service to registered newcomers (art. 3, gegevens uit VDAB): current job-seeker category, service status
    and, per action type, whether the person received one, by profile.
    Grain: one row per golf x dimensie x waarde x kenmerk x kenmerk_waarde. Per profile cell and kenmerk the
    kenmerk_waarden partition the registered newcomers (kenmerk_waarde `totaal` is their number), and per kenmerk
    value the profile values add up to dimensie `totaal`: a two-way table with both margins published, protected
    along both (see disclosure_control).
-#}
{%- set dimensies = mart_profiel_dimensies('personen') -%}
{%- set kenmerken = {
    'categorie_werkzoekende': 'per_dimensie.huidige_categorie_werkzoekende',
    'status_dienstverlening': 'per_dimensie.status_dienstverlening',
} -%}
{%- for actietype in vdab_actietypen() -%}
    {%- do kenmerken.update({'actie_' ~ actietype: 'coalesce(per_dimensie.heeft_actie_' ~ actietype ~ ', false)'}) -%}
{%- endfor %}

with

personen as (
    select dataset.*
    from {{ ref('gepseudonimiseerde_dataset') }} as dataset
    where dataset.eerste_inschrijving is not null
),

per_dimensie as (
    {{ mart_per_dimensie('personen', dimensies) }}
),

per_kenmerk as (
    {%- for kenmerk, expressie in kenmerken.items() %}
        select
            per_dimensie.golf,
            per_dimensie.dimensie,
            per_dimensie.waarde,
            '{{ kenmerk }}' as kenmerk,
            {{ mart_waarde(expressie) }} as kenmerk_waarde
        from per_dimensie
        union all
        select
            per_dimensie.golf,
            per_dimensie.dimensie,
            per_dimensie.waarde,
            '{{ kenmerk }}' as kenmerk,
            'totaal' as kenmerk_waarde
        from per_dimensie
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

telling as (
    select
        per_kenmerk.golf,
        per_kenmerk.dimensie,
        per_kenmerk.waarde,
        per_kenmerk.kenmerk,
        per_kenmerk.kenmerk_waarde,
        count(*) as aantal_personen
    from per_kenmerk
    group by
        per_kenmerk.golf, per_kenmerk.dimensie, per_kenmerk.waarde, per_kenmerk.kenmerk, per_kenmerk.kenmerk_waarde
),

{{ disclosure_control(
    'telling',
    sleutel=['golf', 'dimensie', 'waarde', 'kenmerk', 'kenmerk_waarde'],
    groeperingen=[
        {'per': ['golf', 'dimensie', 'waarde', 'kenmerk'], 'marge': {'kenmerk_waarde': "'totaal'"}},
        {
            'per': ['golf', 'dimensie', 'kenmerk', 'kenmerk_waarde'],
            'marge': {'dimensie': "'totaal'", 'waarde': "'totaal'"},
        },
    ],
    aantallen=['aantal_personen'],
) }}

-- The share is computed from published figures only (the cell and its kenmerk_waarde `totaal` row), so it can never
-- reveal a suppressed one.
select
    cast(sdc_resultaat.golf as varchar) as golf,
    cast(sdc_resultaat.dimensie as varchar) as dimensie,
    cast(sdc_resultaat.waarde as varchar) as waarde,
    cast(sdc_resultaat.kenmerk as varchar) as kenmerk,
    cast(sdc_resultaat.kenmerk_waarde as varchar) as kenmerk_waarde,
    cast(sdc_resultaat.aantal_personen as bigint) as aantal_personen,
    sdc_resultaat.aantal_personen_onderdrukt,
    cast(
        round(100.0 * sdc_resultaat.aantal_personen / nullif(ingeschreven.aantal_personen, 0), 1) as double
    ) as percentage_van_ingeschreven
from sdc_resultaat
inner join sdc_resultaat as ingeschreven
    on
        sdc_resultaat.golf = ingeschreven.golf
        and sdc_resultaat.dimensie = ingeschreven.dimensie
        and sdc_resultaat.waarde = ingeschreven.waarde
        and sdc_resultaat.kenmerk = ingeschreven.kenmerk
        and ingeschreven.kenmerk_waarde = 'totaal'

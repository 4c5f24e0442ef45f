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
    'categorie_werkzoekende': 'personen.huidige_categorie_werkzoekende',
    'status_dienstverlening': 'personen.status_dienstverlening',
} -%}
{%- for actietype in vdab_actietypen() -%}
    {%- do kenmerken.update({'actie_' ~ actietype: 'coalesce(personen.heeft_actie_' ~ actietype ~ ', false)'}) -%}
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
            {{ mart_waarde(expressie | replace('personen.', 'per_dimensie.')) }} as kenmerk_waarde
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

cellen as (
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

telling as (
    select
        cellen.golf,
        cellen.dimensie,
        cellen.waarde,
        cellen.kenmerk,
        cellen.kenmerk_waarde,
        cellen.aantal_personen,
        ingeschreven.aantal_personen as aantal_ingeschreven,
        round(100.0 * cellen.aantal_personen / ingeschreven.aantal_personen, 1) as percentage_van_ingeschreven
    from cellen
    inner join cellen as ingeschreven
        on
            cellen.golf = ingeschreven.golf
            and cellen.dimensie = ingeschreven.dimensie
            and cellen.waarde = ingeschreven.waarde
            and cellen.kenmerk = ingeschreven.kenmerk
            and ingeschreven.kenmerk_waarde = 'totaal'
),

{{ disclosure_control(
    'telling',
    sleutel=['golf', 'dimensie', 'waarde', 'kenmerk', 'kenmerk_waarde'],
    groeperingen=[
        {'per': ['golf', 'dimensie', 'waarde', 'kenmerk'], 'totaal': "kenmerk_waarde = 'totaal'"},
        {'per': ['golf', 'dimensie', 'kenmerk', 'kenmerk_waarde'], 'totaal': "dimensie = 'totaal'"},
    ],
    aantallen=['aantal_personen', 'aantal_ingeschreven'],
    deel_van={'aantal_personen': 'aantal_ingeschreven'},
    afgeleid={'percentage_van_ingeschreven': ['aantal_personen', 'aantal_ingeschreven']},
) }}

select
    cast(sdc_resultaat.golf as varchar) as golf,
    cast(sdc_resultaat.dimensie as varchar) as dimensie,
    cast(sdc_resultaat.waarde as varchar) as waarde,
    cast(sdc_resultaat.kenmerk as varchar) as kenmerk,
    cast(sdc_resultaat.kenmerk_waarde as varchar) as kenmerk_waarde,
    cast(sdc_resultaat.aantal_personen as bigint) as aantal_personen,
    sdc_resultaat.aantal_personen_onderdrukt,
    cast(sdc_resultaat.aantal_ingeschreven as bigint) as aantal_ingeschreven,
    sdc_resultaat.aantal_ingeschreven_onderdrukt,
    cast(sdc_resultaat.percentage_van_ingeschreven as double) as percentage_van_ingeschreven
from sdc_resultaat

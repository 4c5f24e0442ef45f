{#-
    The true counts behind mart_dienstverlening_vdab, with the cell key of each count (macro ckm_telling): the input
    of the cell key method, never published. Lives in the monitoring database (INSZ-free, like the dataset it counts)
    so the mart and the measured information loss (ckm_informatieverlies) read the same counts. What is counted and
    the grain: see mart_dienstverlening_vdab.
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

dataset as (
    {{ ckm_personen() }}
),

personen as (
    select
        dataset.*,
        dataset.recordsleutel,
        dataset.eerste_inschrijving is not null as ingeschreven
    from dataset
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
            per_dimensie.recordsleutel,
            per_dimensie.ingeschreven,
            '{{ kenmerk }}' as kenmerk,
            {{ mart_waarde(expressie) }} as kenmerk_waarde
        from per_dimensie
        union all
        select
            per_dimensie.golf,
            per_dimensie.dimensie,
            per_dimensie.waarde,
            per_dimensie.recordsleutel,
            per_dimensie.ingeschreven,
            '{{ kenmerk }}' as kenmerk,
            'totaal' as kenmerk_waarde
        from per_dimensie
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

geteld as (
    select
        per_kenmerk.golf,
        per_kenmerk.dimensie,
        per_kenmerk.waarde,
        per_kenmerk.kenmerk,
        per_kenmerk.kenmerk_waarde,
        {{ ckm_telling('aantal_personen', 'per_kenmerk.ingeschreven', 'per_kenmerk.recordsleutel') }}
    from per_kenmerk
    group by
        per_kenmerk.golf, per_kenmerk.dimensie, per_kenmerk.waarde, per_kenmerk.kenmerk, per_kenmerk.kenmerk_waarde
),

profielwaarden as (
    select distinct
        geteld.golf,
        geteld.dimensie,
        geteld.waarde
    from geteld
),

kenmerkwaarden as (
    select distinct
        geteld.golf,
        geteld.kenmerk,
        geteld.kenmerk_waarde
    from geteld
),

-- Every profile value of the wave crossed with every value of the kenmerk in the wave: a combination nobody has is
-- a row with count 0 (withheld like any small count), so a missing row never tells that a group is empty.
rooster as (
    select
        profielwaarden.golf,
        profielwaarden.dimensie,
        profielwaarden.waarde,
        kenmerkwaarden.kenmerk,
        kenmerkwaarden.kenmerk_waarde
    from profielwaarden
    inner join kenmerkwaarden
        on profielwaarden.golf = kenmerkwaarden.golf
)

select
    rooster.golf,
    rooster.dimensie,
    rooster.waarde,
    rooster.kenmerk,
    rooster.kenmerk_waarde,
    coalesce(geteld.aantal_personen, 0) as aantal_personen,
    coalesce(geteld.aantal_personen_celsleutel, 0) as aantal_personen_celsleutel
from rooster
left join geteld
    on
        rooster.golf = geteld.golf
        and rooster.dimensie = geteld.dimensie
        and rooster.waarde = geteld.waarde
        and rooster.kenmerk = geteld.kenmerk
        and rooster.kenmerk_waarde = geteld.kenmerk_waarde

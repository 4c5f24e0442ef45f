{#-
    The data-quality facts per wave and per field (art. 7: "er zijn ook lege waarden"; errors are reported to the other
    party, not silently dropped): empty and invalid values in the KBI extract, duplicate and invalid INSZ numbers,
    newcomers VDAB could not link, and empty VDAB attributes or codes VDAB sent that are not in the agreed code list
    (published as `onbekend`). True counts only, no INSZ. Staging keeps every raw row and names its problems
    (insz_ongeldig_reden, datum_fouten, onbekende_labels, onbekende_codes); this model counts them while the wave’s
    restricted database still exists, and keeps the counts in the persistent monitoring database so that
    mart_datakwaliteit (which rounds them and withholds small ones) builds from the monitoring database alone.
    Grain: one row per golf x bron x veld. Incremental per golf: the staging tables hold only the current wave, and
    earlier waves’ facts must stay.
-#}
{{ config(
    materialized=wave_materialisatie('incremental'),
    incremental_strategy='delete+insert',
    unique_key='golf',
    on_schema_change='fail'
) }}
{%- set labels = mart_kbi_labelvelden() -%}
{%- set datums = mart_kbi_datumvelden() -%}
{#- VDAB’s fields, each with whether staging maps it through a code list (then an unknown code counts as invalid). -#}
{%- set vdab_velden = {
    'eerste_inschrijving': false, 'huidige_categorie_werkzoekende': true, 'status_dienstverlening': true
} -%}

with

kbi as (
    select *
    from {{ ref('stg_kbi__personen') }}
),

dataset as (
    select *
    from {{ ref('gepseudonimiseerde_dataset') }}
    where golf = '{{ var("golf") }}'
),

-- The lines of VDAB’s file about people VDAB knows (a person VDAB does not know has no attributes to fill in).
verrijking as (
    select *
    from {{ ref('stg_uitwisseling__verrijking') }}
    where gekend_bij_vdab and insz is not null
),

velden as (
    select
        'kbi_personen' as bron,
        'insz' as veld,
        count(*) as aantal_rijen,
        count(*) filter (where nullif(trim(kbi.insz_ruw), '') is null) as aantal_leeg,
        count(*) filter (where nullif(trim(kbi.insz_ruw), '') is not null and kbi.insz is null) as aantal_ongeldig,
        count(kbi.insz) - count(distinct kbi.insz) as aantal_dubbel,
        cast(null as bigint) as aantal_niet_gekoppeld
    from kbi
    {%- for kolom in labels %}
        union all
        select
            'kbi_personen' as bron,
            '{{ kolom }}' as veld,
            count(*) as aantal_rijen,
            count(*) filter (where kbi.{{ kolom }}_ruw is null) as aantal_leeg,
            count(*) filter (
                where ',' || coalesce(kbi.onbekende_labels, '') || ',' like '%,{{ kolom }},%'
            )
                as aantal_ongeldig,
            cast(null as bigint) as aantal_dubbel,
            cast(null as bigint) as aantal_niet_gekoppeld
        from kbi
    {%- endfor %}
    {%- for kolom in datums %}
        union all
        select
            'kbi_personen' as bron,
            '{{ kolom }}' as veld,
            count(*) as aantal_rijen,
            count(*) filter (
                where kbi.{{ kolom }} is null
                and ',' || coalesce(kbi.datum_fouten, '') || ',' not like '%,{{ kolom }},%'
            ) as aantal_leeg,
            count(*) filter (where ',' || coalesce(kbi.datum_fouten, '') || ',' like '%,{{ kolom }},%')
                as aantal_ongeldig,
            cast(null as bigint) as aantal_dubbel,
            cast(null as bigint) as aantal_niet_gekoppeld
        from kbi
    {%- endfor %}
    union all
    select
        'koppeling_vdab' as bron,
        'insz' as veld,
        count(*) as aantal_rijen,
        count(*) filter (where not dataset.in_verrijking) as aantal_leeg,
        cast(null as bigint) as aantal_ongeldig,
        cast(null as bigint) as aantal_dubbel,
        count(*) filter (where not coalesce(dataset.gekend_bij_vdab, false)) as aantal_niet_gekoppeld
    from dataset
    {%- for kolom, gecodeerd in vdab_velden.items() %}
        {%- set onbekend = "',' || coalesce(verrijking.onbekende_codes, '') || ',' like '%," ~ kolom ~ ",%'" %}
        union all
        select
            'verrijking' as bron,
            '{{ kolom }}' as veld,
            count(*) as aantal_rijen,
            count(*) filter (where verrijking.{{ kolom }} is null and not ({{ onbekend }})) as aantal_leeg,
            {% if gecodeerd -%}
                count(*) filter (where {{ onbekend }})
            {%- else -%}
                cast(null as bigint)
            {%- endif %} as aantal_ongeldig,
            cast(null as bigint) as aantal_dubbel,
            cast(null as bigint) as aantal_niet_gekoppeld
        from verrijking
    {%- endfor %}
),

telling as (
    select
        '{{ var("golf") }}' as golf,
        velden.*
    from velden
)

select
    cast(telling.golf as varchar) as golf,
    cast(telling.bron as varchar) as bron,
    cast(telling.veld as varchar) as veld,
    cast(telling.aantal_rijen as bigint) as aantal_rijen,
    cast(telling.aantal_leeg as bigint) as aantal_leeg,
    cast(telling.aantal_ongeldig as bigint) as aantal_ongeldig,
    cast(telling.aantal_dubbel as bigint) as aantal_dubbel,
    cast(telling.aantal_niet_gekoppeld as bigint) as aantal_niet_gekoppeld
from telling

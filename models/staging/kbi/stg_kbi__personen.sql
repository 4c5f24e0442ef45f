{#-
    Grain: one row per row of the KBI file (duplicates are kept and reported, not dropped).
    Labels are looked up in the seed kbi_labels (a lookup, not a join between sources); ja/nee kenmerken become
    booleans, every other label a `<kenmerk>_code` next to `<kenmerk>_ruw`.
-#}
{%- set labels = [
    'leeftijdscategorie', 'geslacht', 'scholingsniveau', 'oudste_nationaliteit', 'doelgroep', 'kbi_regio',
    'plo_besluit', 'plo_reden_besluit', 'ingeschat_taalleervermogen', 'hoogst_behaald_niveau_nt2', 'trajecttype',
    'resultaat_diplomagelijkschakeling', 'verblijfsstatus'
] -%}
{%- set ja_nee = ['toeleiding_diplomagelijkschakeling', 'heeft_ocmw_leefloon'] -%}
{%- set datums = ['datum_toeleiding_vdab', 'datum_doelgroep', 'datum_aanmelding', 'datum_inburgeringscontract'] -%}

{%- set datum_voorwaarden = {} -%}
{%- for kolom in datums -%}
    {%- do datum_voorwaarden.update({
        kolom: "nullif(trim(source." ~ kolom ~ "), '') is not null and " ~ kbi_datum('source.' ~ kolom) ~ " is null"
    }) -%}
{%- endfor -%}
{%- set label_voorwaarden = {} -%}
{%- for kolom in labels + ja_nee -%}
    {%- do label_voorwaarden.update({
        kolom: label_sleutel('source.' ~ kolom) ~ " is not null and l_" ~ kolom ~ ".code is null"
    }) -%}
{%- endfor %}

with

source as (
    select * from {{ source('kbi', 'personen') }}
),

labels as (
    select
        kenmerk,
        label,
        code
    from {{ ref('kbi_labels') }}
),

renamed as (
    select
        {{ insz_normaliseer('source.insz') }} as insz,
        source.insz as insz_ruw,
        {{ insz_ongeldig_reden('source.insz') }} as insz_ongeldig_reden,
        {% for kolom in labels -%}
            l_{{ kolom }}.code as {{ kolom }}_code,
            nullif(trim(source.{{ kolom }}), '') as {{ kolom }}_ruw,
        {% endfor -%}
        {% for kolom in ja_nee -%}
            l_{{ kolom }}.code = 'ja' as {{ kolom }},
            nullif(trim(source.{{ kolom }}), '') as {{ kolom }}_ruw,
        {% endfor -%}
        {% for kolom in datums -%}
            {{ kbi_datum('source.' ~ kolom) }} as {{ kolom }},
        {% endfor -%}
        {{ problemen(datum_voorwaarden) }} as datum_fouten,
        {{ problemen(label_voorwaarden) }} as onbekende_labels,
        source._bronbestand,
        source._regelnummer,
        source._bestand_sha256
    from source
    {% for kolom in labels + ja_nee -%}
        left join labels as l_{{ kolom }}
            on
                l_{{ kolom }}.kenmerk = '{{ kolom if kolom in labels else "ja_nee" }}'
                and {{ label_sleutel('source.' ~ kolom) }} = l_{{ kolom }}.label
    {% endfor %}
)

select * from renamed

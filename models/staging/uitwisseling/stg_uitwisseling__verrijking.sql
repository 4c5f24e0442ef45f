-- The enriched file as the agencies opened it (after signature check and decryption): one row per line, typed. The
-- file arrives signed from VDAB, so a value that does not cast is an error, not a data-quality warning. A signature
-- says who sent a value, not that it is safe: every categorical value is mapped through the agreed code list (seed
-- vdab_codes), a code not in it becomes NULL (`onbekend` in the marts) and is named in `onbekende_codes` (counted in
-- datakwaliteit_feiten, notified to VDAB by melding_aan_vdab), and the description is our code list's, never VDAB's
-- free text.
{%- set gecodeerd = {
    'huidige_categorie_werkzoekende': 'categorie_werkzoekende',
    'status_dienstverlening': 'status_dienstverlening',
} %}
{%- set onbekend = {} %}
{%- for kolom in gecodeerd %}
    {%- do onbekend.update({
        kolom: "nullif(trim(cast(source." ~ kolom ~ " as varchar)), '') is not null and c_" ~ kolom ~ ".code is null"
    }) %}
{%- endfor %}

with

source as (
    select
        verrijking.insz,
        {{ insz_schoon('verrijking.insz') }} as insz_schoon,
        verrijking.gekend_bij_vdab,
        verrijking.eerste_inschrijving,
        verrijking.meest_recente_inschrijving,
        verrijking.huidige_categorie_werkzoekende,
        verrijking.huidige_categorie_werkzoekende_omschrijving,
        verrijking.status_dienstverlening,
        {%- for actietype in vdab_actietypen() %}
            verrijking.heeft_actie_{{ actietype }},
            verrijking.aantal_acties_{{ actietype }},
            verrijking.eerste_start_actie_{{ actietype }},
        {%- endfor %}
        verrijking.uitstroom_naar_werk,
        verrijking.uitstroom_naar_werk_binnen_6_maanden,
        verrijking.uitstroom_naar_werk_binnen_12_maanden,
        verrijking._bronbestand,
        verrijking._regelnummer,
        verrijking._bestand_sha256
    from {{ source('uitwisseling', 'verrijking') }} as verrijking
),

codes as (
    select
        codes.kenmerk,
        codes.code,
        codes.omschrijving
    from {{ ref('vdab_codes') }} as codes
),

renamed as (
    select
        {{ insz_normaliseer('source.insz_schoon') }} as insz,
        source.insz as insz_ruw,
        {{ insz_ongeldig_reden('source.insz_schoon') }} as insz_ongeldig_reden,
        cast(source.gekend_bij_vdab as boolean) as gekend_bij_vdab,
        cast(source.eerste_inschrijving as date) as eerste_inschrijving,
        cast(source.meest_recente_inschrijving as date) as meest_recente_inschrijving,
        c_huidige_categorie_werkzoekende.code as huidige_categorie_werkzoekende,
        c_huidige_categorie_werkzoekende.omschrijving as huidige_categorie_werkzoekende_omschrijving,
        c_status_dienstverlening.code as status_dienstverlening,
        {{ problemen(onbekend) }} as onbekende_codes,
        {%- for actietype in vdab_actietypen() %}
            cast(source.heeft_actie_{{ actietype }} as boolean) as heeft_actie_{{ actietype }},
            cast(source.aantal_acties_{{ actietype }} as integer) as aantal_acties_{{ actietype }},
            cast(source.eerste_start_actie_{{ actietype }} as date) as eerste_start_actie_{{ actietype }},
        {%- endfor %}
        cast(source.uitstroom_naar_werk as date) as uitstroom_naar_werk,
        cast(source.uitstroom_naar_werk_binnen_6_maanden as boolean) as uitstroom_naar_werk_binnen_6_maanden,
        cast(source.uitstroom_naar_werk_binnen_12_maanden as boolean) as uitstroom_naar_werk_binnen_12_maanden,
        source._bronbestand,
        cast(source._regelnummer as bigint) as _regelnummer,
        source._bestand_sha256
    from source
    {% for kolom, kenmerk in gecodeerd.items() -%}
        left join codes as c_{{ kolom }}
            on
                c_{{ kolom }}.kenmerk = '{{ kenmerk }}'
                and trim(cast(source.{{ kolom }} as varchar)) = c_{{ kolom }}.code
    {% endfor %}
)

select * from renamed

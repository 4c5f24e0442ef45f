-- The enriched file as the agencies opened it (after signature check and decryption): one row per line, typed. The
-- file arrives signed from VDAB, so a value that does not cast is an error, not a data-quality warning.
with

source as (
    select
        verrijking.insz,
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

renamed as (
    select
        {{ insz_normaliseer('source.insz') }} as insz,
        source.insz as insz_ruw,
        {{ insz_ongeldig_reden('source.insz') }} as insz_ongeldig_reden,
        cast(source.gekend_bij_vdab as boolean) as gekend_bij_vdab,
        cast(source.eerste_inschrijving as date) as eerste_inschrijving,
        cast(source.meest_recente_inschrijving as date) as meest_recente_inschrijving,
        cast(source.huidige_categorie_werkzoekende as varchar) as huidige_categorie_werkzoekende,
        cast(source.huidige_categorie_werkzoekende_omschrijving as varchar)
            as huidige_categorie_werkzoekende_omschrijving,
        cast(source.status_dienstverlening as varchar) as status_dienstverlening,
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
)

select * from renamed

{#- Grain: one row per row of the KBI file; both numbers are validated like every INSZ. -#}
with

source as (
    select * from {{ source('kbi', 'insz_vervangingen') }}
),

renamed as (
    select
        {{ insz_normaliseer('oud_insz') }} as oud_insz,
        oud_insz as oud_insz_ruw,
        {{ insz_ongeldig_reden('oud_insz') }} as oud_insz_ongeldig_reden,
        {{ insz_normaliseer('nieuw_insz') }} as nieuw_insz,
        nieuw_insz as nieuw_insz_ruw,
        {{ insz_ongeldig_reden('nieuw_insz') }} as nieuw_insz_ongeldig_reden,
        {{ kbi_datum('datum_vervanging') }} as datum_vervanging,
        {{ problemen({
            'datum_vervanging': "nullif(trim(datum_vervanging), '') is not null and "
                ~ kbi_datum('datum_vervanging') ~ " is null"
        }) }} as datum_fouten,
        _bronbestand,
        _regelnummer,
        _bestand_sha256
    from source
)

select * from renamed

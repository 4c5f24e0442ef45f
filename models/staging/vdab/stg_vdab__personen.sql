{#- Grain: one row per row of personen.parquet (one per VDAB client; duplicates are reported by a test). -#}
with

source as (
    select * from {{ source('vdab', 'personen') }}
),

renamed as (
    select
        klant_id,
        {{ insz_normaliseer('insz') }} as insz,
        insz as insz_ruw,
        {{ insz_ongeldig_reden('insz') }} as insz_ongeldig_reden,
        _bronbestand,
        _regelnummer,
        _bestand_sha256
    from source
)

select * from renamed

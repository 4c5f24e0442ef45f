{#- Grain: one row per row of personen.parquet (one per VDAB client; duplicates are reported by a test). -#}
with

source as (
    select * from {{ source('vdab', 'personen') }}
),

geschoond as (
    select
        *,
        {{ insz_schoon('insz') }} as insz_schoon
    from source
),

renamed as (
    select
        klant_id,
        {{ insz_normaliseer('insz_schoon') }} as insz,
        insz as insz_ruw,
        {{ insz_ongeldig_reden('insz_schoon') }} as insz_ongeldig_reden,
        _bronbestand,
        _regelnummer,
        _bestand_sha256
    from geschoond
)

select * from renamed

{#- Grain: one registration period of one client. -#}
with

source as (
    select * from {{ source('vdab', 'inschrijvingen') }}
),

renamed as (
    select
        klant_id,
        inschrijvingsdatum,
        uitschrijvingsdatum,
        _bronbestand,
        _regelnummer,
        _bestand_sha256
    from source
)

select * from renamed

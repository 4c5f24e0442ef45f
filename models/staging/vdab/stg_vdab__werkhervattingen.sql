{#- Grain: one start of work of one client. -#}
with

source as (
    select * from {{ source('vdab', 'werkhervattingen') }}
),

renamed as (
    select
        klant_id,
        startdatum_werk,
        _bronbestand,
        _regelnummer,
        _bestand_sha256
    from source
)

select * from renamed

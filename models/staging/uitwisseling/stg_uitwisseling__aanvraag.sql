{#- Grain: one row per line of the request file as VDAB received it. The INSZ is checked, never repaired: the file
    must already hold normalised numbers, so a number with separators is invalid ('tekens') even though insz_normaliseer
    would accept it in an extract. -#}
with

source as (
    select * from {{ source('uitwisseling', 'aanvraag') }}
),

gecontroleerd as (
    select
        insz as insz_ruw,
        case
            when insz is not null and insz != '' and translate(insz, '0123456789', '') != '' then 'tekens'
            else {{ insz_ongeldig_reden('insz') }}
        end as insz_ongeldig_reden,
        _bronbestand,
        _regelnummer,
        _bestand_sha256
    from source
),

renamed as (
    select
        case when insz_ongeldig_reden is null then insz_ruw end as insz,
        insz_ruw,
        insz_ongeldig_reden,
        _bronbestand,
        _regelnummer,
        _bestand_sha256
    from gecontroleerd
)

select * from renamed

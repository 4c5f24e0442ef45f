{#- Grain: one period of one client in one job-seeker category; the code is checked against seed vdab_codes. -#}
with

source as (
    select * from {{ source('vdab', 'categorie_historiek') }}
),

codes as (
    select code
    from {{ ref('vdab_codes') }}
    where kenmerk = 'categorie_werkzoekende'
),

renamed as (
    select
        source.klant_id,
        nullif(trim(source.categorie_code), '') as categorie_code,
        source.geldig_van,
        source.geldig_tot,
        {{ problemen({
            'categorie_code': "nullif(trim(source.categorie_code), '') is not null and codes.code is null"
        }) }} as onbekende_labels,
        source._bronbestand,
        source._regelnummer,
        source._bestand_sha256
    from source
    left join codes
        on trim(source.categorie_code) = codes.code
)

select * from renamed

{#- Grain: one period of one client in one service status; the label is mapped through seed vdab_labels. -#}
with

source as (
    select * from {{ source('vdab', 'dienstverlening_historiek') }}
),

labels as (
    select
        label,
        code
    from {{ ref('vdab_labels') }}
    where kenmerk = 'status_dienstverlening'
),

renamed as (
    select
        source.klant_id,
        labels.code as status_dienstverlening_code,
        nullif(trim(source.status_dienstverlening), '') as status_dienstverlening_ruw,
        source.geldig_van,
        source.geldig_tot,
        {{ problemen({
            'status_dienstverlening': label_sleutel('source.status_dienstverlening') ~ " is not null and labels.code is null"
        }) }} as onbekende_labels,
        source._bronbestand,
        source._regelnummer,
        source._bestand_sha256
    from source
    left join labels
        on {{ label_sleutel('source.status_dienstverlening') }} = labels.label
)

select * from renamed

{#- Grain: one action of one client; the action type is mapped through seed vdab_labels. -#}
with

source as (
    select * from {{ source('vdab', 'acties') }}
),

labels as (
    select
        label,
        code
    from {{ ref('vdab_labels') }}
    where kenmerk = 'actietype'
),

renamed as (
    select
        source.actie_id,
        source.klant_id,
        labels.code as actietype_code,
        nullif(trim(source.actietype), '') as actietype_ruw,
        nullif(trim(source.actiecode), '') as actiecode,
        source.startdatum,
        source.einddatum,
        {{ problemen({
            'actietype': label_sleutel('source.actietype') ~ " is not null and labels.code is null"
        }) }} as onbekende_labels,
        source._bronbestand,
        source._regelnummer,
        source._bestand_sha256
    from source
    left join labels
        on {{ label_sleutel('source.actietype') }} = labels.label
)

select * from renamed

-- The request file as VDAB received it: one row per line, the INSZ checked (never repaired: the file must already hold
-- normalised numbers), the reason kept when it is invalid, and the file lineage of every line.
{%- set peiljaar = var('peildatum')[:4] | int %}

with

source as (
    select
        aanvraag.insz,
        aanvraag._bronbestand,
        aanvraag._regelnummer,
        aanvraag._bestand_sha256
    from {{ source('uitwisseling', 'aanvraag') }} as aanvraag
),

gecontroleerd as (
    select
        source.insz as insz_ruw,
        case
            when source.insz is null or source.insz = '' then 'leeg'
            when translate(source.insz, '0123456789', '') != '' then 'tekens'
            when length(source.insz) != 11 then 'lengte'
            when source.insz = '00000000000' then 'nullen'
            when
                97 - cast(substr(source.insz, 1, 9) as bigint) % 97 != cast(substr(source.insz, 10, 2) as integer)
                and (
                    2000 + cast(substr(source.insz, 1, 2) as integer) > {{ peiljaar }}
                    or 97 - (2000000000 + cast(substr(source.insz, 1, 9) as bigint)) % 97
                    != cast(substr(source.insz, 10, 2) as integer)
                )
                then 'controlegetal'
            when
                cast(substr(source.insz, 3, 2) as integer) not between 0 and 12
                and cast(substr(source.insz, 3, 2) as integer) not between 20 and 32
                and cast(substr(source.insz, 3, 2) as integer) not between 40 and 52
                then 'maand'
        end as insz_ongeldig_reden,
        source._bronbestand,
        source._regelnummer,
        source._bestand_sha256
    from source
)

select
    case when gecontroleerd.insz_ongeldig_reden is null then gecontroleerd.insz_ruw end as insz,
    gecontroleerd.insz_ruw,
    gecontroleerd.insz_ongeldig_reden,
    gecontroleerd._bronbestand,
    gecontroleerd._regelnummer,
    gecontroleerd._bestand_sha256
from gecontroleerd

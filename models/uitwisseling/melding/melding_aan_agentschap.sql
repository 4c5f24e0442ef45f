{#-
    VDAB’s art. 7 correction notice to the agencies (pijler3.meldingen sends it): lines of the request that staging
    found invalid (with staging’s reason) and numbers asked more than once. Built from the request, so VDAB’s clean-up
    drops it with the request. Grain: one row per invalid line, one per doubled INSZ.
-#}
with

ongeldig as (
    select
        coalesce(aanvraag.insz_ruw, '') as insz,
        'insz_ongeldig' as reden,
        aanvraag.insz_ongeldig_reden as detail
    from {{ ref('stg_uitwisseling__aanvraag') }} as aanvraag
    where aanvraag.insz_ongeldig_reden is not null
),

dubbel as (
    select
        aanvraag.insz,
        'insz_dubbel' as reden,
        'insz' as detail
    from {{ ref('stg_uitwisseling__aanvraag') }} as aanvraag
    where aanvraag.insz is not null
    group by aanvraag.insz
    having count(*) > 1
),

bevindingen as (
    select * from ongeldig
    union all
    select * from dubbel
)

select
    cast(bevindingen.insz as varchar) as insz,
    cast(bevindingen.reden as varchar) as reden,
    cast(bevindingen.detail as varchar) as detail
from bevindingen

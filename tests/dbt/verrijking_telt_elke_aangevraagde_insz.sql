-- The enriched file has exactly one row per distinct valid INSZ of the request, counted from the staged request (not
-- from the intermediate model the enrichment itself reads), so a lost or invented row fails the build.
with

aangevraagd as (
    select count(distinct aanvraag.insz) as aantal
    from {{ ref('stg_uitwisseling__aanvraag') }} as aanvraag
    where aanvraag.insz is not null
),

verrijkt as (
    select count(verrijking.insz) as aantal
    from {{ ref('verrijking') }} as verrijking
)

select
    aangevraagd.aantal as aantal_aangevraagd,
    verrijkt.aantal as aantal_verrijkt
from aangevraagd
cross join verrijkt
where aangevraagd.aantal != verrijkt.aantal

-- One row per distinct valid INSZ of the request: the grain of the enriched file. Duplicates and invalid numbers are
-- reported by the tests on stg_uitwisseling__aanvraag, not silently lost.
select distinct aanvraag.insz
from {{ ref('stg_uitwisseling__aanvraag') }} as aanvraag
where aanvraag.insz is not null

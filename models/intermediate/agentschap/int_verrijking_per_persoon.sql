-- The enriched file keyed by the INSZ the person carries on the reference date. Grain: one row per person. VDAB was
-- asked for the numbers the agencies knew; when it returned a row for both a bis number and the register number that
-- replaced it, the row in which VDAB knows the person wins, then the row for the current number.
with

verrijking as (
    select
        coalesce(vervangingen.actueel_insz, verrijking.insz) as insz,
        verrijking.insz as gevraagd_insz,
        verrijking.* exclude (insz, insz_ruw, insz_ongeldig_reden, _bronbestand, _regelnummer, _bestand_sha256)
    from {{ ref('stg_uitwisseling__verrijking') }} as verrijking
    left join {{ ref('int_insz_vervangingen_opgelost') }} as vervangingen
        on verrijking.insz = vervangingen.oud_insz
    where verrijking.insz is not null
),

gerangschikt as (
    select
        verrijking.*,
        count(*) over (partition by verrijking.insz) as aantal_verrijkingsrijen,
        row_number() over (
            partition by verrijking.insz
            order by
                verrijking.gekend_bij_vdab desc nulls last,
                (verrijking.gevraagd_insz = verrijking.insz) desc,
                verrijking.gevraagd_insz asc
        ) as volgorde
    from verrijking
)

select gerangschikt.* exclude (gevraagd_insz, volgorde)
from gerangschikt
where gerangschikt.volgorde = 1

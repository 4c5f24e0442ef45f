-- How well the enriched file and the KBI population match, for the wave’s report (art. 7: problems are reported, not
-- dropped). Grain: one row per wave. Counts only, no INSZ, so the figures may be kept with the audit trail.
with

personen as (
    select personen.insz
    from {{ ref('int_kbi_personen_op_peildatum') }} as personen
),

verrijking as (
    select
        verrijking.insz,
        verrijking.aantal_verrijkingsrijen
    from {{ ref('int_verrijking_per_persoon') }} as verrijking
),

bestand as (
    select
        count(*) as aantal_rijen,
        count(*) filter (where bestand.insz is null) as aantal_ongeldige_insz
    from {{ ref('stg_uitwisseling__verrijking') }} as bestand
)

select
    '{{ var("golf") }}' as golf,
    (select count(*) from personen) as aantal_kbi_personen,
    bestand.aantal_rijen as aantal_verrijkingsrijen,
    bestand.aantal_ongeldige_insz as aantal_verrijkingsrijen_ongeldig_nummer,
    (
        select count(*) from verrijking
        where verrijking.aantal_verrijkingsrijen > 1
    ) as aantal_personen_meerdere_rijen,
    (
        select count(*) from personen
        left join verrijking on personen.insz = verrijking.insz
        where verrijking.insz is null
    ) as aantal_kbi_personen_zonder_verrijking,
    (
        select count(*) from verrijking
        left join personen on verrijking.insz = personen.insz
        where personen.insz is null
    ) as aantal_verrijkingen_zonder_kbi_persoon
from bestand

{#-
    Registration at VDAB within 60 days of the integration contract (the third pillar, art. 2 and 3).
    Grain: one row per golf x dimensie x waarde (dimensie `totaal`, `cohort` = contract half-year, and every profile
    attribute one at a time) for every value the wave’s newcomers have. Population: newcomers with an integration
    contract whose 60 days had passed on the peildatum, so a recent contract is not counted as a missed registration.
    Every count is perturbed by the cell key method (macro cell_key_perturbation); the percentage is computed from
    the perturbed counts.
-#}
with

{{ cell_key_perturbation('mart_inschrijving_vdab') }}

select
    cast(ckm_resultaat.golf as varchar) as golf,
    cast(ckm_resultaat.dimensie as varchar) as dimensie,
    cast(ckm_resultaat.waarde as varchar) as waarde,
    cast(ckm_resultaat.aantal_nieuwkomers as bigint) as aantal_nieuwkomers,
    ckm_resultaat.aantal_nieuwkomers_onderdrukt,
    cast(ckm_resultaat.aantal_ingeschreven as bigint) as aantal_ingeschreven,
    ckm_resultaat.aantal_ingeschreven_onderdrukt,
    cast(ckm_resultaat.aantal_ingeschreven_binnen_60_dagen as bigint) as aantal_ingeschreven_binnen_60_dagen,
    ckm_resultaat.aantal_ingeschreven_binnen_60_dagen_onderdrukt,
    cast(
        {{ ckm_percentage('ckm_resultaat.aantal_ingeschreven_binnen_60_dagen', 'ckm_resultaat.aantal_nieuwkomers') }}
        as double
    ) as percentage_ingeschreven_binnen_60_dagen,
    cast(ckm_resultaat.mediaan_dagen_tot_inschrijving as double) as mediaan_dagen_tot_inschrijving
from ckm_resultaat

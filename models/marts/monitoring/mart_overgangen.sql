{#-
    How newcomers moved between VDAB situations from one wave to the next (art. 3: evolution between the
    measurements), from the wave history. Only persons present in two consecutive waves count.
    Grain: one row per golf x toestand_vorige x toestand_huidig for every pair of states seen in that wave’s
    transitions (a pair nobody made is a withheld count 0, not a missing row), with a `totaal` row per previous state
    (where did the people in that state go). Every count perturbed by the cell key method.
-#}
with

{{ cell_key_perturbation('mart_overgangen') }}

select
    cast(ckm_resultaat.golf as varchar) as golf,
    cast(ckm_resultaat.toestand_vorige as varchar) as toestand_vorige,
    cast(ckm_resultaat.toestand_huidig as varchar) as toestand_huidig,
    cast(ckm_resultaat.aantal_personen as bigint) as aantal_personen,
    ckm_resultaat.aantal_personen_onderdrukt
from ckm_resultaat

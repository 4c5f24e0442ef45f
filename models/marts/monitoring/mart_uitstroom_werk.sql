{#-
    Outflow to work within 6 and 12 months of the first VDAB registration (art. 3: "welke acties het meest bijdragen
    tot de uitstroom naar werk"), by profile and by the actions received (dimensie `actie_<type>`, waarde ja/nee).
    Grain: one row per golf x dimensie x waarde, for every value the wave’s newcomers have; every count perturbed by
    the cell key method, the percentages computed from the perturbed counts. The denominators are the registered
    newcomers whose 6 (12) months had passed on the peildatum; the others cannot have a known outcome yet. VDAB’s flag is already true for someone
    who found work inside a window that is still open, so the window is checked here too: counting those early
    successes but not the others of their cohort would inflate the rate.
-#}
with

{{ cell_key_perturbation('mart_uitstroom_werk') }}

select
    cast(ckm_resultaat.golf as varchar) as golf,
    cast(ckm_resultaat.dimensie as varchar) as dimensie,
    cast(ckm_resultaat.waarde as varchar) as waarde,
    cast(ckm_resultaat.aantal_ingeschreven_6_maanden_verstreken as bigint) as aantal_ingeschreven_6_maanden_verstreken,
    ckm_resultaat.aantal_ingeschreven_6_maanden_verstreken_onderdrukt,
    cast(ckm_resultaat.aantal_werk_binnen_6_maanden as bigint) as aantal_werk_binnen_6_maanden,
    ckm_resultaat.aantal_werk_binnen_6_maanden_onderdrukt,
    cast(ckm_resultaat.aantal_ingeschreven_12_maanden_verstreken as bigint)
        as aantal_ingeschreven_12_maanden_verstreken,
    ckm_resultaat.aantal_ingeschreven_12_maanden_verstreken_onderdrukt,
    cast(ckm_resultaat.aantal_werk_binnen_12_maanden as bigint) as aantal_werk_binnen_12_maanden,
    ckm_resultaat.aantal_werk_binnen_12_maanden_onderdrukt,
    cast({{ ckm_percentage(
        'ckm_resultaat.aantal_werk_binnen_6_maanden', 'ckm_resultaat.aantal_ingeschreven_6_maanden_verstreken'
    ) }} as double) as percentage_werk_binnen_6_maanden,
    cast({{ ckm_percentage(
        'ckm_resultaat.aantal_werk_binnen_12_maanden', 'ckm_resultaat.aantal_ingeschreven_12_maanden_verstreken'
    ) }} as double) as percentage_werk_binnen_12_maanden
from ckm_resultaat

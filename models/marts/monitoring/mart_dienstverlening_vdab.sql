{#-
    VDAB’s service to registered newcomers (art. 3, gegevens uit VDAB): current job-seeker category, service status
    and, per action type, whether the person received one, by profile.
    Grain: one row per golf x dimensie x waarde x kenmerk x kenmerk_waarde, for every profile value of the wave’s
    newcomers crossed with every kenmerk value of the wave. Per profile cell and kenmerk the kenmerk_waarden partition
    the registered newcomers (kenmerk_waarde `totaal` is their number), and per kenmerk value the profile values add
    up to dimensie `totaal`: a two-way table with both margins, every cell perturbed by the cell key method.
-#}
with

{{ cell_key_perturbation('mart_dienstverlening_vdab') }},

-- The published parts of each kenmerk added up per profile cell: the share is taken over the larger of that sum and
-- the kenmerk_waarde `totaal` row, so the shares of a kenmerk never add up to more than 100 % (macro ckm_aandeel).
delen as (
    select
        ckm_resultaat.golf,
        ckm_resultaat.dimensie,
        ckm_resultaat.waarde,
        ckm_resultaat.kenmerk,
        sum(ckm_resultaat.aantal_personen) as aantal_personen
    from ckm_resultaat
    where ckm_resultaat.kenmerk_waarde != 'totaal'
    group by ckm_resultaat.golf, ckm_resultaat.dimensie, ckm_resultaat.waarde, ckm_resultaat.kenmerk
)

-- The share is computed from perturbed figures only: the cell, its kenmerk_waarde `totaal` row and its siblings.
select
    cast(ckm_resultaat.golf as varchar) as golf,
    cast(ckm_resultaat.dimensie as varchar) as dimensie,
    cast(ckm_resultaat.waarde as varchar) as waarde,
    cast(ckm_resultaat.kenmerk as varchar) as kenmerk,
    cast(ckm_resultaat.kenmerk_waarde as varchar) as kenmerk_waarde,
    cast(ckm_resultaat.aantal_personen as bigint) as aantal_personen,
    ckm_resultaat.aantal_personen_onderdrukt,
    cast(
        {{ ckm_aandeel('ckm_resultaat.aantal_personen', 'ingeschreven.aantal_personen', 'delen.aantal_personen') }}
        as double
    ) as percentage_van_ingeschreven
from ckm_resultaat
inner join ckm_resultaat as ingeschreven
    on
        ckm_resultaat.golf = ingeschreven.golf
        and ckm_resultaat.dimensie = ingeschreven.dimensie
        and ckm_resultaat.waarde = ingeschreven.waarde
        and ckm_resultaat.kenmerk = ingeschreven.kenmerk
        and ingeschreven.kenmerk_waarde = 'totaal'
inner join delen
    on
        ckm_resultaat.golf = delen.golf
        and ckm_resultaat.dimensie = delen.dimensie
        and ckm_resultaat.waarde = delen.waarde
        and ckm_resultaat.kenmerk = delen.kenmerk

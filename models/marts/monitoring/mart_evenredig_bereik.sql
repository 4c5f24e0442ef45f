{#-
    Proportional reach (art. 2: nationality is processed only "om na te gaan of alle nieuwkomers evenredig
    terechtkomen bij VDAB"): per oudste nationaliteit its share among the wave’s newcomers against its share among
    the newcomers VDAB reached. Nationality is never crossed with anything else.
    Grain: one row per golf x dimensie x waarde, dimensie `totaal` or `oudste_nationaliteit`. Counts perturbed by the
    cell key method; shares and the index are computed from the perturbed counts.
-#}
with

{{ cell_key_perturbation('mart_evenredig_bereik') }},

-- Shares and the index from the perturbed counts only, against the perturbed wave totals.
totaal as (
    select
        ckm_resultaat.golf,
        ckm_resultaat.aantal_nieuwkomers,
        ckm_resultaat.aantal_bereikt
    from ckm_resultaat
    where ckm_resultaat.dimensie = 'totaal'
),

-- The published parts of each wave’s nationality breakdown added up: a share is taken over the larger of that sum
-- and the published total, so the shares never add up to more than 100 % (macro ckm_aandeel).
delen as (
    select
        ckm_resultaat.golf,
        ckm_resultaat.dimensie,
        sum(ckm_resultaat.aantal_nieuwkomers) as aantal_nieuwkomers,
        sum(ckm_resultaat.aantal_bereikt) as aantal_bereikt
    from ckm_resultaat
    group by ckm_resultaat.golf, ckm_resultaat.dimensie
)

select
    cast(ckm_resultaat.golf as varchar) as golf,
    cast(ckm_resultaat.dimensie as varchar) as dimensie,
    cast(ckm_resultaat.waarde as varchar) as waarde,
    cast(ckm_resultaat.aantal_nieuwkomers as bigint) as aantal_nieuwkomers,
    ckm_resultaat.aantal_nieuwkomers_onderdrukt,
    cast(ckm_resultaat.aantal_bereikt as bigint) as aantal_bereikt,
    ckm_resultaat.aantal_bereikt_onderdrukt,
    cast({{ ckm_percentage('ckm_resultaat.aantal_bereikt', 'ckm_resultaat.aantal_nieuwkomers') }} as double)
        as percentage_bereikt,
    cast(
        {{ ckm_aandeel('ckm_resultaat.aantal_nieuwkomers', 'totaal.aantal_nieuwkomers', 'delen.aantal_nieuwkomers') }}
        as double
    ) as aandeel_nieuwkomers,
    cast({{ ckm_aandeel('ckm_resultaat.aantal_bereikt', 'totaal.aantal_bereikt', 'delen.aantal_bereikt') }} as double)
        as aandeel_bereikt,
    -- 1 = reached in proportion; below 1 the group is under-represented at VDAB.
    cast(
        round(
            (1.0 * ckm_resultaat.aantal_bereikt / nullif(totaal.aantal_bereikt, 0))
            / nullif(1.0 * ckm_resultaat.aantal_nieuwkomers / nullif(totaal.aantal_nieuwkomers, 0), 0),
            2
        ) as double
    ) as evenredigheidsindex
from ckm_resultaat
inner join totaal
    on ckm_resultaat.golf = totaal.golf
inner join delen
    on
        ckm_resultaat.golf = delen.golf
        and ckm_resultaat.dimensie = delen.dimensie

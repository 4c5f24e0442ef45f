{#-
    Proportional reach (art. 2: nationality is processed only "om na te gaan of alle nieuwkomers evenredig
    terechtkomen bij VDAB"): per oudste nationaliteit its share among the wave's newcomers against its share among
    the newcomers VDAB reached. Nationality is never crossed with anything else.
    Grain: one row per golf x dimensie x waarde, dimensie `totaal` or `oudste_nationaliteit`.
-#}
with

personen as (
    select
        dataset.golf,
        dataset.oudste_nationaliteit,
        coalesce(dataset.eerste_inschrijving is not null, false) as bereikt
    from {{ ref('gepseudonimiseerde_dataset') }} as dataset
),

per_dimensie as (
    {{ mart_per_dimensie('personen', {'oudste_nationaliteit': 'personen.oudste_nationaliteit'}) }}
),

per_waarde as (
    select
        per_dimensie.golf,
        per_dimensie.dimensie,
        per_dimensie.waarde,
        count(*) as aantal_nieuwkomers,
        count(*) filter (where per_dimensie.bereikt) as aantal_bereikt
    from per_dimensie
    group by per_dimensie.golf, per_dimensie.dimensie, per_dimensie.waarde
),

telling as (
    select
        per_waarde.golf,
        per_waarde.dimensie,
        per_waarde.waarde,
        per_waarde.aantal_nieuwkomers,
        per_waarde.aantal_bereikt,
        round(100.0 * per_waarde.aantal_bereikt / per_waarde.aantal_nieuwkomers, 1) as percentage_bereikt,
        round(100.0 * per_waarde.aantal_nieuwkomers / totaal.aantal_nieuwkomers, 1) as aandeel_nieuwkomers,
        round(100.0 * per_waarde.aantal_bereikt / nullif(totaal.aantal_bereikt, 0), 1) as aandeel_bereikt,
        -- 1 = reached in proportion; below 1 the group is under-represented at VDAB.
        round(
            (1.0 * per_waarde.aantal_bereikt / nullif(totaal.aantal_bereikt, 0))
            / (1.0 * per_waarde.aantal_nieuwkomers / totaal.aantal_nieuwkomers),
            2
        ) as evenredigheidsindex
    from per_waarde
    inner join per_waarde as totaal
        on per_waarde.golf = totaal.golf and totaal.dimensie = 'totaal'
),

{{ disclosure_control(
    'telling',
    sleutel=['golf', 'dimensie', 'waarde'],
    groeperingen=[{'per': ['golf', 'dimensie'], 'marge': {'dimensie': "'totaal'", 'waarde': "'totaal'"}}],
    aantallen=['aantal_nieuwkomers', 'aantal_bereikt'],
    deel_van={'aantal_bereikt': 'aantal_nieuwkomers'},
    afgeleid={
        'percentage_bereikt': ['aantal_bereikt', 'aantal_nieuwkomers'],
        'aandeel_nieuwkomers': ['aantal_nieuwkomers'],
        'aandeel_bereikt': ['aantal_bereikt'],
        'evenredigheidsindex': ['aantal_bereikt', 'aantal_nieuwkomers'],
    },
) }}

select
    cast(sdc_resultaat.golf as varchar) as golf,
    cast(sdc_resultaat.dimensie as varchar) as dimensie,
    cast(sdc_resultaat.waarde as varchar) as waarde,
    cast(sdc_resultaat.aantal_nieuwkomers as bigint) as aantal_nieuwkomers,
    sdc_resultaat.aantal_nieuwkomers_onderdrukt,
    cast(sdc_resultaat.aantal_bereikt as bigint) as aantal_bereikt,
    sdc_resultaat.aantal_bereikt_onderdrukt,
    cast(sdc_resultaat.percentage_bereikt as double) as percentage_bereikt,
    cast(sdc_resultaat.aandeel_nieuwkomers as double) as aandeel_nieuwkomers,
    cast(sdc_resultaat.aandeel_bereikt as double) as aandeel_bereikt,
    cast(sdc_resultaat.evenredigheidsindex as double) as evenredigheidsindex
from sdc_resultaat

{#-
    The headline indicators of the third pillar per wave, for the evolution over the protocol's five years (art. 3:
    "vergelijkingen tussen de verschillende metingen"). Grain: one row per golf x indicator.
    Each indicator is read from the protected `totaal` row of its mart, with that mart's suppression flags, instead
    of being recomputed: a recount would miss the nested rules of the source mart (e.g. 12 months elapsed within
    6 months elapsed) and publish here what the source mart suppressed.
-#}
with

indicatoren as (
    select
        bereik.golf,
        'bereikt door VDAB' as indicator,
        bereik.aantal_bereikt as aantal_teller,
        bereik.aantal_bereikt_onderdrukt as teller_bron_onderdrukt,
        bereik.aantal_nieuwkomers as aantal_noemer,
        bereik.aantal_nieuwkomers_onderdrukt as noemer_bron_onderdrukt,
        bereik.percentage_bereikt as percentage
    from {{ ref('mart_evenredig_bereik') }} as bereik
    where bereik.dimensie = 'totaal'
    union all
    select
        inschrijving.golf,
        'ingeschreven binnen 60 dagen na het inburgeringscontract' as indicator,
        inschrijving.aantal_ingeschreven_binnen_60_dagen as aantal_teller,
        inschrijving.aantal_ingeschreven_binnen_60_dagen_onderdrukt as teller_bron_onderdrukt,
        inschrijving.aantal_nieuwkomers as aantal_noemer,
        inschrijving.aantal_nieuwkomers_onderdrukt as noemer_bron_onderdrukt,
        inschrijving.percentage_ingeschreven_binnen_60_dagen as percentage
    from {{ ref('mart_inschrijving_vdab') }} as inschrijving
    where inschrijving.dimensie = 'totaal'
    union all
    select
        uitstroom.golf,
        'uitstroom naar werk binnen 6 maanden' as indicator,
        uitstroom.aantal_werk_binnen_6_maanden as aantal_teller,
        uitstroom.aantal_werk_binnen_6_maanden_onderdrukt as teller_bron_onderdrukt,
        uitstroom.aantal_ingeschreven_6_maanden_verstreken as aantal_noemer,
        uitstroom.aantal_ingeschreven_6_maanden_verstreken_onderdrukt as noemer_bron_onderdrukt,
        uitstroom.percentage_werk_binnen_6_maanden as percentage
    from {{ ref('mart_uitstroom_werk') }} as uitstroom
    where uitstroom.dimensie = 'totaal'
    union all
    select
        uitstroom.golf,
        'uitstroom naar werk binnen 12 maanden' as indicator,
        uitstroom.aantal_werk_binnen_12_maanden as aantal_teller,
        uitstroom.aantal_werk_binnen_12_maanden_onderdrukt as teller_bron_onderdrukt,
        uitstroom.aantal_ingeschreven_12_maanden_verstreken as aantal_noemer,
        uitstroom.aantal_ingeschreven_12_maanden_verstreken_onderdrukt as noemer_bron_onderdrukt,
        uitstroom.percentage_werk_binnen_12_maanden as percentage
    from {{ ref('mart_uitstroom_werk') }} as uitstroom
    where uitstroom.dimensie = 'totaal'
),

telling as (
    select
        indicatoren.golf,
        indicatoren.indicator,
        indicatoren.aantal_teller,
        indicatoren.aantal_noemer,
        indicatoren.percentage
    from indicatoren
),

{#- A no-op on figures that are already protected, kept so every mart passes the same gate: if a source mart ever
    published a small count, it is suppressed here too. -#}
{{ disclosure_control(
    'telling',
    sleutel=['golf', 'indicator'],
    groeperingen=[],
    aantallen=['aantal_teller', 'aantal_noemer'],
    deel_van={'aantal_teller': 'aantal_noemer'},
    afgeleid={'percentage': ['aantal_teller', 'aantal_noemer']},
) }}

select
    cast(sdc_resultaat.golf as varchar) as golf,
    cast(sdc_resultaat.indicator as varchar) as indicator,
    cast(sdc_resultaat.aantal_teller as bigint) as aantal_teller,
    sdc_resultaat.aantal_teller_onderdrukt or indicatoren.teller_bron_onderdrukt as aantal_teller_onderdrukt,
    cast(sdc_resultaat.aantal_noemer as bigint) as aantal_noemer,
    sdc_resultaat.aantal_noemer_onderdrukt or indicatoren.noemer_bron_onderdrukt as aantal_noemer_onderdrukt,
    cast(sdc_resultaat.percentage as double) as percentage
from sdc_resultaat
inner join indicatoren
    on
        sdc_resultaat.golf = indicatoren.golf
        and sdc_resultaat.indicator = indicatoren.indicator

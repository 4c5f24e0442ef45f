{#-
    How newcomers moved between VDAB situations from one wave to the next (art. 3: evolution between the
    measurements), from the wave history. Only persons present in two consecutive waves count.
    Grain: one row per golf x toestand_vorige x toestand_huidig, with a `totaal` row per previous state (where did
    the people in that state go). Column totals are deliberately not published: each previous state is then a
    one-way table with its own total, for which secondary suppression is provably enough (see disclosure_control);
    with both margins the two-way rule can, rarely, leave a cell determined.
-#}
with

golven as (
    select
        historiek.golf,
        row_number() over (order by historiek.golf) as volgnummer
    from (select distinct historiek.golf from {{ ref('golf_historiek') }} as historiek) as historiek
),

personen as (
    select
        historiek.golf,
        {{ mart_toestand('historiek.vorige_gekend_bij_vdab', 'historiek.vorige_status_dienstverlening',
            'historiek.vorige_uitgestroomd_naar_werk') }} as toestand_vorige,
        {{ mart_toestand('historiek.gekend_bij_vdab', 'historiek.status_dienstverlening',
            'historiek.uitgestroomd_naar_werk') }} as toestand_huidig
    from {{ ref('golf_historiek') }} as historiek
    inner join golven as huidige
        on historiek.golf = huidige.golf
    inner join golven as vorige
        on historiek.vorige_golf = vorige.golf
    where vorige.volgnummer = huidige.volgnummer - 1
),

marges as (
    select
        personen.golf,
        personen.toestand_vorige,
        personen.toestand_huidig
    from personen
    union all
    select
        personen.golf,
        personen.toestand_vorige,
        'totaal' as toestand_huidig
    from personen
),

telling as (
    select
        marges.golf,
        marges.toestand_vorige,
        marges.toestand_huidig,
        count(*) as aantal_personen
    from marges
    group by marges.golf, marges.toestand_vorige, marges.toestand_huidig
),

{{ disclosure_control(
    'telling',
    sleutel=['golf', 'toestand_vorige', 'toestand_huidig'],
    groeperingen=[{'per': ['golf', 'toestand_vorige'], 'marge': {'toestand_huidig': "'totaal'"}}],
    aantallen=['aantal_personen'],
) }}

select
    cast(sdc_resultaat.golf as varchar) as golf,
    cast(sdc_resultaat.toestand_vorige as varchar) as toestand_vorige,
    cast(sdc_resultaat.toestand_huidig as varchar) as toestand_huidig,
    cast(sdc_resultaat.aantal_personen as bigint) as aantal_personen,
    sdc_resultaat.aantal_personen_onderdrukt
from sdc_resultaat

{#-
    Outflow to work within 6 and 12 months of the first VDAB registration (art. 3: "welke acties het meest bijdragen
    tot de uitstroom naar werk"), by profile and by the actions received (dimensie `actie_<type>`, waarde ja/nee).
    Grain: one row per golf x dimensie x waarde. The denominators are the registered newcomers whose 6 (12) months
    had passed on the peildatum; the others cannot have a known outcome yet. VDAB's flag is already true for someone
    who found work inside a window that is still open, so the window is checked here too: counting those early
    successes but not the others of their cohort would inflate the rate.
-#}
{%- set dimensies = mart_profiel_dimensies('personen') -%}
{%- for actietype in vdab_actietypen() -%}
    {%- do dimensies.update({'actie_' ~ actietype: 'coalesce(personen.heeft_actie_' ~ actietype ~ ', false)'}) -%}
{%- endfor %}

with

personen as (
    select
        dataset.*,
        {{ dbt.dateadd('month', 6, 'dataset.eerste_inschrijving') }} <= dataset.peildatum
            as termijn_6_maanden_verstreken,
        {{ dbt.dateadd('month', 12, 'dataset.eerste_inschrijving') }} <= dataset.peildatum
            as termijn_12_maanden_verstreken
    from {{ ref('gepseudonimiseerde_dataset') }} as dataset
    where dataset.eerste_inschrijving is not null
),

per_dimensie as (
    {{ mart_per_dimensie('personen', dimensies) }}
),

telling as (
    select
        per_dimensie.golf,
        per_dimensie.dimensie,
        per_dimensie.waarde,
        count(*) filter (where per_dimensie.termijn_6_maanden_verstreken) as aantal_ingeschreven_6_maanden_verstreken,
        count(*) filter (
            where per_dimensie.termijn_6_maanden_verstreken and per_dimensie.uitstroom_naar_werk_binnen_6_maanden
        ) as aantal_werk_binnen_6_maanden,
        count(*) filter (where per_dimensie.termijn_12_maanden_verstreken) as aantal_ingeschreven_12_maanden_verstreken,
        count(*) filter (
            where per_dimensie.termijn_12_maanden_verstreken and per_dimensie.uitstroom_naar_werk_binnen_12_maanden
        ) as aantal_werk_binnen_12_maanden,
        round(
            100.0 * count(*) filter (
                where per_dimensie.termijn_6_maanden_verstreken and per_dimensie.uitstroom_naar_werk_binnen_6_maanden
            )
            / nullif(count(*) filter (where per_dimensie.termijn_6_maanden_verstreken), 0),
            1
        ) as percentage_werk_binnen_6_maanden,
        round(
            100.0 * count(*) filter (
                where per_dimensie.termijn_12_maanden_verstreken and per_dimensie.uitstroom_naar_werk_binnen_12_maanden
            )
            / nullif(count(*) filter (where per_dimensie.termijn_12_maanden_verstreken), 0),
            1
        ) as percentage_werk_binnen_12_maanden
    from per_dimensie
    group by per_dimensie.golf, per_dimensie.dimensie, per_dimensie.waarde
),

{{ disclosure_control(
    'telling',
    sleutel=['golf', 'dimensie', 'waarde'],
    groeperingen=[{'per': ['golf', 'dimensie'], 'marge': {'dimensie': "'totaal'", 'waarde': "'totaal'"}}],
    aantallen=[
        'aantal_ingeschreven_6_maanden_verstreken', 'aantal_werk_binnen_6_maanden',
        'aantal_ingeschreven_12_maanden_verstreken', 'aantal_werk_binnen_12_maanden',
    ],
    deel_van={
        'aantal_werk_binnen_6_maanden': 'aantal_ingeschreven_6_maanden_verstreken',
        'aantal_werk_binnen_12_maanden': 'aantal_ingeschreven_12_maanden_verstreken',
        'aantal_ingeschreven_12_maanden_verstreken': 'aantal_ingeschreven_6_maanden_verstreken',
    },
    afgeleid={
        'percentage_werk_binnen_6_maanden': ['aantal_werk_binnen_6_maanden', 'aantal_ingeschreven_6_maanden_verstreken'],
        'percentage_werk_binnen_12_maanden': [
            'aantal_werk_binnen_12_maanden', 'aantal_ingeschreven_12_maanden_verstreken'
        ],
    },
) }}

select
    cast(sdc_resultaat.golf as varchar) as golf,
    cast(sdc_resultaat.dimensie as varchar) as dimensie,
    cast(sdc_resultaat.waarde as varchar) as waarde,
    cast(sdc_resultaat.aantal_ingeschreven_6_maanden_verstreken as bigint) as aantal_ingeschreven_6_maanden_verstreken,
    sdc_resultaat.aantal_ingeschreven_6_maanden_verstreken_onderdrukt,
    cast(sdc_resultaat.aantal_werk_binnen_6_maanden as bigint) as aantal_werk_binnen_6_maanden,
    sdc_resultaat.aantal_werk_binnen_6_maanden_onderdrukt,
    cast(sdc_resultaat.aantal_ingeschreven_12_maanden_verstreken as bigint)
        as aantal_ingeschreven_12_maanden_verstreken,
    sdc_resultaat.aantal_ingeschreven_12_maanden_verstreken_onderdrukt,
    cast(sdc_resultaat.aantal_werk_binnen_12_maanden as bigint) as aantal_werk_binnen_12_maanden,
    sdc_resultaat.aantal_werk_binnen_12_maanden_onderdrukt,
    cast(sdc_resultaat.percentage_werk_binnen_6_maanden as double) as percentage_werk_binnen_6_maanden,
    cast(sdc_resultaat.percentage_werk_binnen_12_maanden as double) as percentage_werk_binnen_12_maanden
from sdc_resultaat

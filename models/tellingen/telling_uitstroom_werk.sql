{#-
    The true counts behind mart_uitstroom_werk, with the cell key of each count (macro ckm_telling): the input
    of the cell key method, never published. Lives in the monitoring database (INSZ-free, like the dataset it counts)
    so the mart and the measured information loss (ckm_informatieverlies) read the same counts. What is counted and
    the grain: see mart_uitstroom_werk.
-#}
{%- set dimensies = mart_profiel_dimensies('personen') -%}
{%- for actietype in vdab_actietypen() -%}
    {%- do dimensies.update({'actie_' ~ actietype: 'coalesce(personen.heeft_actie_' ~ actietype ~ ', false)'}) -%}
{%- endfor %}

with

dataset as (
    {{ ckm_personen() }}
),

personen as (
    select
        dataset.*,
        dataset.recordsleutel,
        coalesce({{ dbt.dateadd('month', 6, 'dataset.eerste_inschrijving') }} <= dataset.peildatum, false)
            as termijn_6_maanden_verstreken,
        coalesce({{ dbt.dateadd('month', 12, 'dataset.eerste_inschrijving') }} <= dataset.peildatum, false)
            as termijn_12_maanden_verstreken
    from dataset
),

-- Every newcomer of the wave (the unregistered count in no window), so every profile value has a row.
per_dimensie as (
    {{ mart_per_dimensie('personen', dimensies) }}
)

select
    per_dimensie.golf,
    per_dimensie.dimensie,
    per_dimensie.waarde,
    {{ ckm_telling('aantal_ingeschreven_6_maanden_verstreken', 'per_dimensie.termijn_6_maanden_verstreken') }},
    {{ ckm_telling(
        'aantal_werk_binnen_6_maanden',
        'per_dimensie.termijn_6_maanden_verstreken and per_dimensie.uitstroom_naar_werk_binnen_6_maanden'
    ) }},
    {{ ckm_telling('aantal_ingeschreven_12_maanden_verstreken', 'per_dimensie.termijn_12_maanden_verstreken') }},
    {{ ckm_telling(
        'aantal_werk_binnen_12_maanden',
        'per_dimensie.termijn_12_maanden_verstreken and per_dimensie.uitstroom_naar_werk_binnen_12_maanden'
    ) }}
from per_dimensie
group by per_dimensie.golf, per_dimensie.dimensie, per_dimensie.waarde

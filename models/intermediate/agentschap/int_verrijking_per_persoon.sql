-- The enriched file keyed by the INSZ the person carries on the reference date. Grain: one row per person. VDAB was
-- asked for the numbers the agencies knew; when it returned a row for both a bis number and the register number that
-- replaced it, the row in which VDAB knows the person wins, then the row for the current number.
{%- set vdab_kolommen = [
    'eerste_inschrijving', 'meest_recente_inschrijving', 'huidige_categorie_werkzoekende',
    'huidige_categorie_werkzoekende_omschrijving', 'status_dienstverlening'
] %}
{%- for actietype in vdab_actietypen() %}
        {%- do vdab_kolommen.extend([
            'heeft_actie_' ~ actietype, 'aantal_acties_' ~ actietype, 'eerste_start_actie_' ~ actietype
        ]) %}
{%- endfor %}
{%- do vdab_kolommen.extend([
    'uitstroom_naar_werk', 'uitstroom_naar_werk_binnen_6_maanden', 'uitstroom_naar_werk_binnen_12_maanden'
]) %}

with

verrijking as (
    select
        coalesce(vervangingen.actueel_insz, verrijking.insz) as insz,
        verrijking.insz as gevraagd_insz,
        {%- for kolom in vdab_kolommen %}
            verrijking.{{ kolom }},
        {%- endfor %}
        verrijking.gekend_bij_vdab
    from {{ ref('stg_uitwisseling__verrijking') }} as verrijking
    left join {{ ref('int_insz_vervangingen_opgelost') }} as vervangingen
        on verrijking.insz = vervangingen.oud_insz
    where verrijking.insz is not null
),

gerangschikt as (
    select
        verrijking.*,
        count(*) over (partition by verrijking.insz) as aantal_verrijkingsrijen,
        row_number() over (
            partition by verrijking.insz
            order by
                verrijking.gekend_bij_vdab desc nulls last,
                (verrijking.gevraagd_insz = verrijking.insz) desc,
                verrijking.gevraagd_insz asc
        ) as volgorde
    from verrijking
)

select
    gerangschikt.insz,
    gerangschikt.aantal_verrijkingsrijen,
    {%- for kolom in vdab_kolommen %}
        gerangschikt.{{ kolom }},
    {%- endfor %}
    gerangschikt.gekend_bij_vdab
from gerangschikt
where gerangschikt.volgorde = 1

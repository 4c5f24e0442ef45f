-- The enriched file VDAB returns to the agencies: one row per requested INSZ, with only the VDAB attributes that
-- art. 3 of the protocol lists. A requested person VDAB does not know keeps their row (gekend_bij_vdab = false):
-- whether someone registered is exactly what the agencies monitor.
with

aanvraag as (
    select aanvraag.insz
    from {{ ref('int_aanvraag_insz_gededupliceerd') }} as aanvraag
),

gekend as (
    select distinct koppeling.insz
    from {{ ref('int_vdab_klanten_gekoppeld') }} as koppeling
)

select
    aanvraag.insz,
    gekend.insz is not null as gekend_bij_vdab,
    inschrijvingen.eerste_inschrijving,
    inschrijvingen.meest_recente_inschrijving,
    categorie.huidige_categorie_werkzoekende,
    categorie.huidige_categorie_werkzoekende_omschrijving,
    dienstverlening.status_dienstverlening,
    {% for actietype in vdab_actietypen() %}
        coalesce(acties.aantal_acties_{{ actietype }}, 0) > 0 as heeft_actie_{{ actietype }},
        cast(coalesce(acties.aantal_acties_{{ actietype }}, 0) as integer) as aantal_acties_{{ actietype }},
        acties.eerste_start_actie_{{ actietype }},
    {% endfor %}
    uitstroom.uitstroom_naar_werk,
    uitstroom.uitstroom_naar_werk_binnen_6_maanden,
    uitstroom.uitstroom_naar_werk_binnen_12_maanden
from aanvraag
left join gekend
    on aanvraag.insz = gekend.insz
left join {{ ref('int_vdab_inschrijvingen_samengevat') }} as inschrijvingen
    on aanvraag.insz = inschrijvingen.insz
left join {{ ref('int_vdab_categorie_op_peildatum') }} as categorie
    on aanvraag.insz = categorie.insz
left join {{ ref('int_vdab_dienstverlening_op_peildatum') }} as dienstverlening
    on aanvraag.insz = dienstverlening.insz
left join {{ ref('int_vdab_acties_per_type_geteld') }} as acties
    on aanvraag.insz = acties.insz
left join {{ ref('int_vdab_uitstroom_naar_werk_bepaald') }} as uitstroom
    on aanvraag.insz = uitstroom.insz

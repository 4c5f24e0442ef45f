-- The pseudonymised person-level dataset (protocol art. 3 and 5): the KBI profile and the VDAB attributes of every
-- person of the wave, the INSZ replaced by its keyed pseudonym. Grain: one row per pseudonym per wave. Lives in the
-- persistent monitoring database and is incremental per wave (delete+insert on `golf`): earlier waves stay, a rerun
-- of a wave replaces only that wave. Every column is listed (and the contract enforced) so nothing reaches this table
-- that was not deliberately put here: no INSZ, no birth date, nothing derived from the number itself.
{{ config(materialized=wave_materialisatie('incremental'), incremental_strategy='delete+insert', unique_key='golf') }}

select
    cast({{ pseudoniem('profielen.insz') }} as varchar) as pseudoniem,
    cast('{{ var("golf") }}' as varchar) as golf,
    cast('{{ var("peildatum") }}' as date) as peildatum,
    cast(profielen.leeftijdscategorie as varchar) as leeftijdscategorie,
    cast(profielen.geslacht as varchar) as geslacht,
    cast(profielen.scholingsniveau as varchar) as scholingsniveau,
    cast(profielen.oudste_nationaliteit as varchar) as oudste_nationaliteit,
    cast(profielen.datum_toeleiding_vdab as date) as datum_toeleiding_vdab,
    cast(profielen.doelgroep as varchar) as doelgroep,
    cast(profielen.datum_doelgroep as date) as datum_doelgroep,
    cast(profielen.datum_aanmelding as date) as datum_aanmelding,
    cast(profielen.datum_inburgeringscontract as date) as datum_inburgeringscontract,
    cast(profielen.kbi_regio as varchar) as kbi_regio,
    cast(profielen.plo_besluit as varchar) as plo_besluit,
    cast(profielen.plo_reden_besluit as varchar) as plo_reden_besluit,
    cast(profielen.ingeschat_taalleervermogen as varchar) as ingeschat_taalleervermogen,
    cast(profielen.hoogst_behaald_niveau_nt2 as varchar) as hoogst_behaald_niveau_nt2,
    cast(profielen.trajecttype as varchar) as trajecttype,
    cast(profielen.toeleiding_diplomagelijkschakeling as boolean) as toeleiding_diplomagelijkschakeling,
    cast(profielen.resultaat_diplomagelijkschakeling as varchar) as resultaat_diplomagelijkschakeling,
    cast(profielen.heeft_ocmw_leefloon as boolean) as heeft_ocmw_leefloon,
    cast(profielen.verblijfsstatus as varchar) as verblijfsstatus,
    profielen.in_verrijking,
    profielen.gekend_bij_vdab,
    profielen.eerste_inschrijving,
    profielen.meest_recente_inschrijving,
    profielen.huidige_categorie_werkzoekende,
    profielen.huidige_categorie_werkzoekende_omschrijving,
    profielen.status_dienstverlening,
    {%- for actietype in vdab_actietypen() %}
        profielen.heeft_actie_{{ actietype }},
        profielen.aantal_acties_{{ actietype }},
        profielen.eerste_start_actie_{{ actietype }},
    {%- endfor %}
    profielen.uitstroom_naar_werk,
    profielen.uitstroom_naar_werk_binnen_6_maanden,
    profielen.uitstroom_naar_werk_binnen_12_maanden
from {{ ref('int_profielen_verrijkt') }} as profielen
